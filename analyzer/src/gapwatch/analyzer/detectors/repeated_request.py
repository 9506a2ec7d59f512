"""``repeated_request``: users keep asking for something the agent does not deliver.

Only requests users made of user-facing runs count (a sub-agent's task text is its caller's).
The screening query normalizes each request text (``gapwatch.task``, OpenInference
``input.value``, the first user message …), keeps the most frequent distinct ones and pairs those
within an ``ngramDistanceUTF8`` threshold; pairs are joined into clusters here (union–find, so
the result does not depend on row order).

Repetition alone is not a gap: popular requests that succeed are how people use the agent. A
cluster is a gap when the repetition shows the agent did not deliver — sessions where a run
failed, was rated down or corrected by hand, where the request came again in the same session
(a follow-up that rephrases it) or from the same user soon after. Those sessions must be several,
a real share of the sessions asking it, and significantly more than the fleet's own rate of runs
gone badly (a binomial test). Common requests that are resolved yield nothing.

Two queries: ``repeated_request.sql`` screens (texts and similar texts, runs only);
``repeated_request_evidence.sql`` judges every run of the clustered requests and returns one row
per cluster. The evidence records the second query.
"""

from __future__ import annotations

import hashlib
from typing import Any

from gapwatch.analyzer.detectors._sql import (
    QueryResult,
    SqlDetector,
    above_base_rate,
    confidence,
    evidence,
    priority,
    quote,
    run_query,
    thresholds_for,
    window_parameters,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import RepeatedRequestThresholds

# the fleet's rate of runs gone badly never counts as lower than this
_MIN_BASE_RATE = 0.02


class RepeatedRequestDetector(SqlDetector):
    id = "repeated_request"
    version = 3  # 3: a gap only when sessions went undelivered; user-facing runs only
    defaults = RepeatedRequestThresholds()
    bound_thresholds = ("max_texts", "max_distance", "negative_rating", "negative_stars")

    def evidence_parameters(
        self, context: DetectionContext, subjects: list[tuple[str, str, int]]
    ) -> dict[str, Any]:
        """Parameters of the evidence query: (service, normalized request, cluster) subjects."""
        limits = thresholds_for(context, self.id, RepeatedRequestThresholds())
        return window_parameters(context) | {
            "negative_rating": limits.negative_rating,
            "negative_stars": limits.negative_stars,
            "reask_within_s": float(limits.reask_within_s),
            "subjects": subjects,
        }

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        limits = thresholds_for(context, self.id, RepeatedRequestThresholds())
        # a cluster of one text can still repeat across sessions; it needs no partner
        subjects = [
            (member["service"], member["norm"], number)
            for number, members in enumerate(_clusters(query.rows))
            for member in members
            if len(members) > 1 or member["count"] >= limits.min_sessions
        ]
        if not subjects:
            return []
        fleet_runs = max(int(query.rows[0]["fleet_runs"]), 1)
        base_rate = max(int(query.rows[0]["fleet_bad_runs"]) / fleet_runs, _MIN_BASE_RATE)
        detail = run_query(
            context, f"{self.id}_evidence", self.evidence_parameters(context, subjects)
        )
        findings = []
        for row in detail.rows:
            sessions, unresolved = int(row["sessions"]), int(row["unresolved_sessions"])
            if (
                sessions < limits.min_sessions
                or unresolved < limits.min_unresolved_sessions
                or unresolved < limits.min_unresolved_share * sessions
            ):
                continue
            p_value = above_base_rate(unresolved, sessions, base_rate)
            if p_value > limits.alpha:
                continue
            findings.append(self._finding(row, base_rate, p_value, detail, context))
        findings.sort(key=lambda f: (-f.severity, f.subject.service, f.title))
        return findings[: limits.max_findings]

    def _finding(
        self,
        row: dict[str, Any],
        base_rate: float,
        p_value: float,
        query: QueryResult,
        context: DetectionContext,
    ) -> Finding:
        sessions, unresolved = int(row["sessions"]), int(row["unresolved_sessions"])
        variants = dict(zip(*row["variants"], strict=True))
        lead = min(variants, key=lambda norm: (-variants[norm], norm))
        agents = {name: int(count) for name, count in zip(*row["agents"], strict=True)}
        agent = min(agents, key=lambda name: (-agents[name], name)) if agents else ""
        asked = quote(row["example"], 100)
        share = unresolved / sessions
        causes = [
            f"{row[key]} {words}"
            for key, words in (
                ("failed_sessions", "with a failed run"),
                ("rated_down_sessions", "rated down or corrected"),
                ("reasked_sessions", "asked again soon after"),
            )
            if row[key]
        ]
        metrics = {
            "requests": row["count"],
            "sessions": sessions,
            "unresolved_sessions": unresolved,
            "unresolved_share": round(share, 4),
            "failed_sessions": row["failed_sessions"],
            "rated_down_sessions": row["rated_down_sessions"],
            "reasked_sessions": row["reasked_sessions"],
            "users": row["users"],
            "fleet_bad_run_rate": round(base_rate, 4),
            "p_value": p_value,
            "variants": sorted(variants)[:10],
            "agents": agents,
        }
        handled_by = f"`{agent}`" if agent else "the agent"
        if share >= 0.5:
            kind = "new_tool"
            change = (
                f'Give {handled_by} a capability for "{asked}": a tool or a written workflow '
                f"that completes it end to end. It was asked in {sessions} sessions and "
                f"{unresolved} of them went undelivered, so what exists today does not do it."
            )
        else:
            kind = "prompt_update"
            change = (
                f'Find out from the sample traces why "{asked}" goes undelivered in '
                f"{unresolved} of {sessions} sessions and teach {handled_by} the missing step "
                f"(instructions, a worked example, or the tool it lacks)."
            )
        key = hashlib.blake2b(lead.encode(), digest_size=6).hexdigest()
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type=kind,
            priority=priority(unresolved * share, high=8, medium=3),
            confidence=confidence(unresolved, sessions, p_value),
            subject=Subject(service=row["service"], agent=agent, extra=(("request", key),)),
            title=f'"{quote(row["example"], 60)}" asked in {sessions} sessions, '
            f"{unresolved} unresolved",
            summary=(
                f'Users asked {handled_by} "{asked}" ({len(variants)} wordings) {row["count"]} '
                f"times in {sessions} sessions; {unresolved} sessions went undelivered ("
                + ", ".join(causes)
                + f"), against {base_rate:.0%} of runs going badly across the fleet."
            ),
            proposed_change=change,
            expected_impact=(
                f"Up to {unresolved} undelivered sessions per {context.window} resolved, and "
                f"the asking again that followed them."
            ),
            risk="Low to medium: a new capability needs its own permissions and tests.",
            evidence=evidence(row, context, query, metrics),
            severity=float(unresolved * 2 + sessions),
        )


def _clusters(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Requests linked by similarity, per service; deterministic for any row order."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(key: tuple[str, str]) -> tuple[str, str]:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    by_key = {(r["service"], r["norm"]): r for r in rows}
    for key in by_key:
        parent[key] = key
    for row in rows:
        for other in row["similar"] or []:
            other_key = (row["service"], other)
            if other_key in by_key:
                a, b = root((row["service"], row["norm"])), root(other_key)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key in sorted(by_key):
        groups.setdefault(root(key), []).append(by_key[key])
    return [groups[key] for key in sorted(groups)]
