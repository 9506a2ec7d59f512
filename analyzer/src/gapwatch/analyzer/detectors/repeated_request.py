"""``repeated_request``: the same request, in different words, across many sessions.

The query normalizes each agent run's request text (``gapwatch.task``, OpenInference
``input.value``, the last user message …), keeps the most frequent distinct ones and pairs those
within an ``ngramDistanceUTF8`` threshold. Pairs are joined into clusters here (union–find, so
the result does not depend on row order). A cluster asked in several sessions — above all when
those sessions ended unresolved (failed, rated down, corrected) — points at a missing capability.

Two queries: ``repeated_request.sql`` keeps the most frequent normalized requests with their
similar ones (runs only); after clustering, ``repeated_request_evidence.sql`` returns each
clustered request's evidence with the distinct (and unresolved) sessions of its whole cluster,
merged from aggregate states in ClickHouse instead of shipping session lists here. The evidence
records the second query.
"""

from __future__ import annotations

import hashlib
from typing import Any

from gapwatch.analyzer.detectors._sql import (
    QueryResult,
    SqlDetector,
    confidence,
    evidence,
    priority,
    quote,
    run_query,
    thresholds_for,
    utc,
    window_parameters,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import RepeatedRequestThresholds


class RepeatedRequestDetector(SqlDetector):
    id = "repeated_request"
    version = 2  # 2: a screening query, then an evidence query for the reported subjects
    defaults = RepeatedRequestThresholds()
    bound_thresholds = ("max_texts", "max_distance")

    def evidence_parameters(
        self, context: DetectionContext, subjects: list[tuple[str, str, int]]
    ) -> dict[str, Any]:
        """Parameters of the evidence query: (service, normalized request, cluster) subjects."""
        limits = thresholds_for(context, self.id, RepeatedRequestThresholds())
        return window_parameters(context) | {
            "negative_rating": limits.negative_rating,
            "negative_stars": limits.negative_stars,
            "subjects": subjects,
        }

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        limits = thresholds_for(context, self.id, RepeatedRequestThresholds())
        subjects = [
            (member["service"], member["norm"], number)
            for number, members in enumerate(_clusters(query.rows))
            for member in members
        ]
        if not subjects:
            return []
        detail = run_query(
            context, f"{self.id}_evidence", self.evidence_parameters(context, subjects)
        )
        clusters: dict[int, list[dict[str, Any]]] = {}
        for row in detail.rows:
            clusters.setdefault(int(row["cluster"]), []).append(row)
        findings = []
        for _, members in sorted(clusters.items()):
            sessions, unresolved = members[0]["sessions"], members[0]["unresolved_sessions"]
            if sessions < limits.min_sessions:
                continue
            if (
                unresolved < limits.min_unresolved_sessions
                and sessions < limits.min_sessions_when_resolved
            ):
                continue
            findings.append(self._finding(members, sessions, unresolved, detail, context))
        findings.sort(key=lambda f: (-f.severity, f.subject.service, f.title))
        return findings[: limits.max_findings]

    def _finding(
        self,
        members: list[dict[str, Any]],
        sessions: int,
        unresolved: int,
        query: QueryResult,
        context: DetectionContext,
    ) -> Finding:
        lead = max(members, key=lambda m: (m["count"], m["norm"]))
        agents: dict[str, int] = {}
        for member in members:
            for name, count in zip(*member["agents"], strict=True):
                agents[name] = agents.get(name, 0) + int(count)
        agent = min(agents, key=lambda name: (-agents[name], name)) if agents else ""
        asked = quote(lead["example"], 100)
        count = sum(m["count"] for m in members)
        share = unresolved / sessions
        traces = sorted({t for m in members for t in m["traces"]})
        row = {
            "count": count,
            "sessions": sessions,
            "first_seen": min(utc(m["first_seen"]) for m in members),
            "last_seen": max(utc(m["last_seen"]) for m in members),
            "traces": traces[:10],
        }
        metrics = {
            "requests": count,
            "sessions": sessions,
            "unresolved_sessions": unresolved,
            "unresolved_share": round(share, 4),
            "variants": sorted(m["norm"] for m in members)[:10],
            "agents": agents,
        }
        handled_by = f"`{agent}`" if agent else "the agent"
        if share >= 0.5:
            kind = "new_tool"
            change = (
                f'Give {handled_by} a capability for "{asked}": a tool or a written workflow '
                f"that completes it end to end. It was asked in {sessions} sessions and "
                f"{unresolved} of them ended unresolved, so what exists today does not do it."
            )
        else:
            kind = "prompt_update"
            change = (
                f'Turn "{asked}" into a saved workflow or shortcut for {handled_by} (or answer '
                f"it in the instructions/docs): users asked it in {sessions} sessions"
                + (f", {unresolved} unresolved." if unresolved else ".")
            )
        key = hashlib.blake2b(lead["norm"].encode(), digest_size=6).hexdigest()
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type=kind,
            priority=priority(unresolved + sessions / 4, high=10, medium=4),
            confidence=confidence(count, sessions),
            subject=Subject(service=lead["service"], agent=agent, extra=(("request", key),)),
            title=f'"{quote(lead["example"], 60)}" asked in {sessions} sessions, '
            f"{unresolved} unresolved",
            summary=(
                f'The same request ("{asked}", {len(members)} wordings) was made {count} times '
                f"in {sessions} sessions; {unresolved} sessions ended unresolved "
                f"(failed, rated down or corrected by hand)."
            ),
            proposed_change=change,
            expected_impact=(
                f"Up to {unresolved} unresolved sessions per {context.window} resolved, "
                f"and the repeated asking in {sessions} sessions shortened."
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
