"""``unused_tool``: a tool the model is offered on every request but (almost) never calls.

Offers come from ``gen_ai.tool.definitions`` (and the OpenInference/OpenLLMetry equivalents) on
LLM and agent spans; calls are tool spans of the same service. A tool offered often and called
at most ``max_call_rate`` per offer either has a description the model does not understand or
should not be offered: both are worth a person's decision.

Two queries: ``unused_tool.sql`` counts offers and calls and keeps the ``max_findings`` most
offered candidates; ``unused_tool_evidence.sql`` counts them again for those tools only, with
offering traces, agents, sessions, first/last seen and sample traces — the query the evidence
records.
"""

from __future__ import annotations

from typing import Any

from gapwatch.analyzer.detectors._sql import (
    QueryResult,
    SqlDetector,
    confidence,
    day,
    evidence,
    mode,
    priority,
    run_query,
    thresholds_for,
    window_parameters,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import UnusedToolThresholds


class UnusedToolDetector(SqlDetector):
    id = "unused_tool"
    version = 2  # 2: a screening query, then an evidence query for the reported subjects
    defaults = UnusedToolThresholds()
    bound_thresholds = ("min_offers", "max_call_rate", "max_findings")

    def evidence_parameters(
        self, context: DetectionContext, subjects: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """Parameters of the evidence query: (service, tool) subjects."""
        return window_parameters(context) | {"subjects": subjects}

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        subjects = [(row["service"], row["tool"]) for row in query.rows]
        if not subjects:
            return []
        detail = run_query(
            context, f"{self.id}_evidence", self.evidence_parameters(context, subjects)
        )
        # the thresholds hold on the evidence query's counts too (spans may arrive in between)
        limits = thresholds_for(context, self.id, UnusedToolThresholds())
        rows = [
            row
            for row in detail.rows
            if row["count"] >= limits.min_offers
            and row["sessions"] >= limits.min_sessions
            and int(row["calls"]) <= row["count"] * limits.max_call_rate
        ]
        return super().interpret(QueryResult(rows, detail.sql, detail.parameters), context)

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        tool, offers, calls = row["tool"], row["count"], int(row["calls"])
        agent, _ = mode(*row["agents"])
        to_whom = f" to `{agent}`" if agent else ""
        instructions = f"`{agent}`'s instructions" if agent else "the agent's instructions"
        used = "never called" if calls == 0 else f"called only {calls} times"
        metrics = {
            "offers": offers,
            "calls": calls,
            "offering_traces": row["offering_traces"],
            "offering_agents": dict(zip(*row["agents"], strict=True)),
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="prompt_update",
            priority=priority(offers, high=1_000, medium=100),
            confidence=confidence(offers // 10, row["sessions"]),
            subject=Subject(service=row["service"], agent=agent, tool=tool),
            title=f"`{tool}` is offered{to_whom} {offers} times but {used}",
            summary=(
                f"`{tool}` was in the tool definitions of {offers} model requests "
                f"({row['offering_traces']} traces, {row['sessions']} sessions) between "
                f"{day(row['first_seen'])} and {day(row['last_seen'])} and was {used}."
            ),
            proposed_change=(
                f"Decide whether `{tool}` should be used. If yes, rewrite its description so "
                f"the model knows when to call it (name the situation and the input it needs) "
                f"and mention it in {instructions}. If not, stop offering it: its definition "
                f"rides along on every request."
            ),
            expected_impact=(
                f"Either the capability starts being used, or each of the ~{offers} requests "
                f"per {context.window} carries one definition less (fewer input tokens, less "
                f"choice for the model)."
            ),
            risk="Low: removing a tool the model never calls changes nothing it does today.",
            evidence=evidence(row, context, query, metrics),
            severity=float(offers),
        )
