"""``version_regression``: an agent got worse after its version (agent, prompt, service) changed.

Per agent and version kind, the two most recently introduced versions with enough spans are
compared: error rate (Fisher's exact test), latency of agent runs (Welch's t-test on log
durations) and tokens per span (Welch's t-test). Each test must be significant at ``alpha``
divided by three (Bonferroni) and exceed a minimum effect, so noise between equal versions
does not qualify.

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
    version = 2  # 2: a screening query, then an evidence query for the reported subjects

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
        changes: dict[str, dict[str, float]],
        query: QueryResult,
        context: DetectionContext,
    ) -> Finding:
        agent, kind = after["agent"], after["version_kind"]
        word = _KIND_WORDS.get(kind, kind)
        old, new = before["version"], after["version"]
        sentences = []
        if "error_rate" in changes:
            sentences.append(
                f"error rate {pct(before['count'], before['calls'])} "
                f"({before['count']}/{before['calls']}) → {pct(after['count'], after['calls'])} "
                f"({after['count']}/{after['calls']}), "
                f"Fisher p={changes['error_rate']['p_value']:.1e}"
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
        new_error = top_error and top_error not in (before["errors"][0] or [])
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
            priority="high" if "error_rate" in changes else "medium",
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
) -> dict[str, dict[str, float]]:
    """The metrics that got significantly and materially worse from ``before`` to ``after``."""
    alpha = limits.alpha / 3
    changes: dict[str, dict[str, float]] = {}
    rate_before = before["count"] / before["calls"]
    rate_after = after["count"] / after["calls"]
    if rate_after - rate_before >= limits.min_rate_increase:
        table = [
            [after["count"], after["calls"] - after["count"]],
            [before["count"], before["calls"] - before["count"]],
        ]
        p_value = float(stats.fisher_exact(table, alternative="greater").pvalue)
        if p_value <= alpha:
            changes["error_rate"] = {"before": rate_before, "after": rate_after, "p_value": p_value}
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


def _expected(
    name: str, before: dict[str, Any], after: dict[str, Any], change: dict[str, float]
) -> str:
    if name == "error_rate":
        avoided = round((change["after"] - change["before"]) * after["calls"])
        return f"about {avoided} fewer failures per {after['calls']} spans"
    return f"{name} back down by ×{change['ratio']:.2f}"


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": row["version"],
        "calls": row["calls"],
        "failures": row["count"],
        "runs": row["runs"],
        "first_seen": day(row["first_seen"]),
        "last_seen": day(row["last_seen"]),
    }
