"""``version_regression``: an agent got worse after its version (agent, prompt, service) changed.

Like is compared with like: an agent's spans are its own runs and the tool and model calls it
owns, each under the version of the run it belongs to; a delegation span carrying a version
attribute (often the caller's) is not a run of the agent it invokes. Per agent and version kind,
the two most recently introduced versions with enough runs are compared: the share of runs with
a failure of their own, overall or in one failure mode (Fisher's exact tests; an agent failing in
other ways already dilutes the overall share), latency of agent runs (Welch's t-test on log
durations) and tokens per model call (Welch's t-test). Each test must be significant at
``alpha`` divided by three (Bonferroni; the failure modes share their third) and exceed a
minimum effect, so noise between equal versions does not qualify.

Two queries: ``version_regression.sql`` screens every version over narrow columns (counts and
moments); ``version_regression_evidence.sql`` recomputes those figures for the versions of a
regression only, with sessions, sample traces and failure fingerprints. Every number of a finding
comes from the evidence query, which is the query (with its parameters) the evidence records.
"""

from __future__ import annotations

import math
from itertools import groupby
from typing import Any

from scipy import stats

from gapwatch.analyzer.detectors._sql import (
    QueryResult,
    SqlDetector,
    confidence,
    day,
    evidence,
    mode,
    pct,
    quote,
    run_query,
    thresholds_for,
    window_parameters,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import VersionRegressionThresholds

_KIND_WORDS = {"agent_version": "agent", "prompt_version": "prompt", "service_version": "service"}


class VersionRegressionDetector(SqlDetector):
    id = "version_regression"
    version = 3  # 3: an agent's own runs and calls, under their run's version

    def parameters(self, context: DetectionContext) -> dict[str, Any]:
        return window_parameters(context)

    def evidence_parameters(
        self, context: DetectionContext, subjects: list[tuple[str, str, str, str]]
    ) -> dict[str, Any]:
        """Parameters of the evidence query: (service, agent, version kind, version) subjects."""
        return window_parameters(context) | {"subjects": subjects}

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        limits = thresholds_for(context, self.id, VersionRegressionThresholds())
        pairs = [
            (before, after)
            for before, after in _latest_pairs(query.rows, limits)
            if compare(before, after, limits)
        ]
        if not pairs:
            return []
        subjects = sorted({_key(row) for pair in pairs for row in pair})
        detail = run_query(
            context, f"{self.id}_evidence", self.evidence_parameters(context, subjects)
        )
        # judged again on the evidence query's figures, so a finding and the query it records
        # agree even when spans arrived between the two queries
        rows = {_key(row): row for row in detail.rows}
        findings = []
        for screened_before, screened_after in pairs:
            before, after = rows.get(_key(screened_before)), rows.get(_key(screened_after))
            if before is None or after is None:
                continue
            if min(before["calls"], after["calls"]) < limits.min_samples:
                continue
            changes = compare(before, after, limits)
            if changes:
                findings.append(self._finding(before, after, changes, detail, context))
        return findings

    def _finding(
        self,
        before: dict[str, Any],
        after: dict[str, Any],
        changes: dict[str, dict[str, Any]],
        query: QueryResult,
        context: DetectionContext,
    ) -> Finding:
        agent, kind = after["agent"], after["version_kind"]
        word = _KIND_WORDS.get(kind, kind)
        old, new = before["version"], after["version"]
        sentences = []
        if "error_rate" in changes:
            sentences.append(
                f"failed runs {pct(before['count'], before['calls'])} "
                f"({before['count']}/{before['calls']}) → {pct(after['count'], after['calls'])} "
                f"({after['count']}/{after['calls']}), "
                f"Fisher p={changes['error_rate']['p_value']:.1e}"
            )
        if "failure_mode" in changes:
            grown = changes["failure_mode"]
            sentences.append(
                f'"{quote(grown["mode"])}" in {pct(grown["before"], 1)} → '
                f"{pct(grown['after'], 1)} of runs (Fisher p={grown['p_value']:.1e})"
            )
        if "latency" in changes:
            sentences.append(
                f"run latency ×{changes['latency']['ratio']:.2f} "
                f"(Welch p={changes['latency']['p_value']:.1e})"
            )
        if "tokens" in changes:
            sentences.append(
                f"tokens per call ×{changes['tokens']['ratio']:.2f} "
                f"(Welch p={changes['tokens']['p_value']:.1e})"
            )
        top_error, _ = mode(*after["errors"])
        seen_before = dict(zip(*before["errors"], strict=True))
        # failure modes the new version brought or multiplied: one root cause with the version
        grown_errors = [
            error
            for error, count in sorted(zip(*after["errors"], strict=True),
                                       key=lambda item: (-item[1], item[0]))
            if error
            and count >= 3
            and count / after["calls"] >= 2 * (seen_before.get(error, 0) + 1) / before["calls"]
        ]
        new_error = top_error and top_error not in seen_before
        hint = (
            f' The dominant new failure is "{quote(top_error)}", absent before.'
            if new_error
            else ""
        )
        p_min = min(c["p_value"] for c in changes.values())
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="prompt_update" if kind == "prompt_version" else "config_change",
            priority="high" if {"error_rate", "failure_mode"} & set(changes) else "medium",
            confidence=confidence(after["count"] + after["calls"] // 10, after["sessions"], p_min),
            subject=Subject(
                service=after["service"], agent=agent, version=new, extra=(("version_kind", kind),)
            ),
            title=f"`{agent}` regressed with {word} version {new} (was {old})",
            summary=(
                f"Since {word} version {new} of `{agent}` (first seen {day(after['first_seen'])}"
                f"): " + "; ".join(sentences) + f", compared with {old}.{hint}"
            ),
            proposed_change=(
                f"Roll `{agent}` back to {word} version {old}, or fix {new} before it takes all "
                f"traffic: diff {old} → {new} against the sample traces of failing runs." + hint
            ),
            expected_impact=(
                f"Returns `{agent}` to {old}'s numbers: "
                + "; ".join(_expected(name, before, after, c) for name, c in changes.items())
                + "."
            ),
            risk="Low for a rollback; whatever the new version added is lost until it is fixed.",
            evidence=evidence(
                after,
                context,
                query,
                {
                    "version_kind": kind,
                    "before_version": old,
                    "after_version": new,
                    "before": _summary(before),
                    "after": _summary(after),
                    "changes": changes,
                    "grown_errors": grown_errors[:20],
                },
            ),
            severity=float(after["count"]),
        )


def _key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["service"], row["agent"], row["version_kind"], row["version"])


def _latest_pairs(
    rows: list[dict[str, Any]], limits: VersionRegressionThresholds
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Per (service, agent, version kind): the two most recently introduced versions with
    enough spans, (before, after); rows come ordered by first_seen within each group."""
    pairs = []
    key = ("service", "agent", "version_kind")
    for _, group in groupby(rows, key=lambda r: tuple(r[k] for k in key)):
        versions = [r for r in group if r["calls"] >= limits.min_samples]
        if len(versions) >= 2:
            pairs.append((versions[-2], versions[-1]))
    return pairs


def compare(
    before: dict[str, Any], after: dict[str, Any], limits: VersionRegressionThresholds
) -> dict[str, dict[str, Any]]:
    """The metrics that got significantly and materially worse from ``before`` to ``after``."""
    alpha = limits.alpha / 3
    changes: dict[str, dict[str, Any]] = {}
    rate_before = before["count"] / before["calls"]
    rate_after = after["count"] / after["calls"]
    if rate_after - rate_before >= limits.min_rate_increase:
        p_value = _fisher_greater(after["count"], after["calls"], before["count"], before["calls"])
        if p_value <= alpha:
            changes["error_rate"] = {"before": rate_before, "after": rate_after, "p_value": p_value}
    mode = _grown_mode(before, after, limits, alpha)
    if mode is not None and "error_rate" not in changes:
        changes["failure_mode"] = mode
    for name, mean, var, n, log_scale in (
        ("latency", "log_latency_mean", "log_latency_var", "runs", True),
        ("tokens", "tokens_mean", "tokens_var", "token_spans", False),
    ):
        if min(before[n], after[n]) < limits.min_samples:
            continue
        m0, m1 = float(before[mean]), float(after[mean])
        ratio = math.exp(m1 - m0) if log_scale else (m1 / m0 if m0 > 0 else math.inf)
        if ratio < limits.min_ratio:
            continue
        result = stats.ttest_ind_from_stats(
            m1,
            math.sqrt(max(float(after[var]), 1e-12)),
            after[n],
            m0,
            math.sqrt(max(float(before[var]), 1e-12)),
            before[n],
            equal_var=False,
            alternative="greater",
        )
        p_value = float(result.pvalue)
        if p_value <= alpha:
            changes[name] = {"ratio": round(ratio, 3), "p_value": p_value}
    return changes


def _grown_mode(
    before: dict[str, Any],
    after: dict[str, Any],
    limits: VersionRegressionThresholds,
    alpha: float,
) -> dict[str, Any] | None:
    """The failure mode whose share of runs grew most significantly with the new version.

    An agent that already fails in other ways dilutes the overall rate; a mode the version
    brought still stands out on its own. Bonferroni over the modes tested."""
    seen_before = dict(zip(*before["errors"], strict=True))
    candidates = []
    for fingerprint, count in zip(*after["errors"], strict=True):
        failed_after = min(int(count), after["calls"])
        failed_before = min(int(seen_before.get(fingerprint, 0)), before["calls"])
        grown = failed_after / after["calls"] - failed_before / before["calls"]
        if fingerprint and grown >= limits.min_rate_increase:
            candidates.append((fingerprint, failed_after, failed_before))
    best: dict[str, Any] | None = None
    for fingerprint, failed_after, failed_before in candidates:
        p_value = _fisher_greater(failed_after, after["calls"], failed_before, before["calls"])
        if p_value <= alpha / len(candidates) and (best is None or p_value < best["p_value"]):
            best = {
                "mode": fingerprint,
                "before": failed_before / before["calls"],
                "after": failed_after / after["calls"],
                "p_value": p_value,
            }
    return best


def _fisher_greater(failed_after: int, after: int, failed_before: int, before: int) -> float:
    table = [[failed_after, after - failed_after], [failed_before, before - failed_before]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)


def _expected(
    name: str, before: dict[str, Any], after: dict[str, Any], change: dict[str, Any]
) -> str:
    if name in ("error_rate", "failure_mode"):
        avoided = round((change["after"] - change["before"]) * after["calls"])
        return f"about {avoided} fewer failed runs per {after['calls']} runs"
    return f"{name} back down by ×{change['ratio']:.2f}"


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": row["version"],
        "runs": row["calls"],
        "failed_runs": row["count"],
        "spans": row["spans"],
        "timed_runs": row["runs"],
        "first_seen": day(row["first_seen"]),
        "last_seen": day(row["last_seen"]),
    }
