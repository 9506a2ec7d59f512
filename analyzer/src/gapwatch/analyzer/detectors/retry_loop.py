"""``retry_loop``: the same tool called with the same arguments again and again in one trace.

A loop is ≥ N calls of one tool with identical arguments (``arguments_hash``) in a trace, or
``gapwatch.attempt`` reaching N when arguments are not captured. An (agent, tool) needs several
loops, and loops in a real share of the traces that call the tool, so a rare stutter in heavy
traffic is not reported. Wasted work is every call but the last, the time those calls took and
the model tokens spent while the loop went round.
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
    number,
    priority,
    quote,
    seconds,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import RetryLoopThresholds


class RetryLoopDetector(SqlDetector):
    id = "retry_loop"
    version = 2  # 2: loops must be a share of the traces calling the tool
    defaults = RetryLoopThresholds()
    bound_thresholds = ("min_repeats", "min_loops", "min_loop_share", "max_findings")

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        tool, agent, loops = row["tool"], row["agent"], row["count"]
        actor = f"`{agent}`" if agent else "The agent"
        wasted_calls, tokens = int(row["wasted_calls"]), int(row["wasted_tokens"])
        top_error, _ = mode(*row["errors"])
        failing = row["failed_calls"] > wasted_calls / 2
        waste = f"{wasted_calls} repeated calls, {seconds(row['wasted_ns'])}"
        waste += f" and {number(tokens)} model tokens" if tokens else ""
        if failing:
            kind = "tool_improvement"
            change = (
                f"{actor} repeats `{tool}` unchanged after it fails"
                + (f' with "{quote(top_error)}"' if top_error else "")
                + f". Make `{tool}` return an error that says what to change (or that retrying "
                f"will not help), and add a loop guard that stops after 2 identical calls and "
                f"hands the failure back to the agent's plan."
            )
        else:
            kind = "prompt_update"
            change = (
                f"{actor} calls `{tool}` again with identical arguments although the call "
                f"succeeded. Cache `{tool}`'s result per trace and tell the agent in its "
                f"instructions that a result already in context must be reused, not refetched."
            )
        metrics = {
            "loops": loops,
            "tool_traces": row["tool_traces"],
            "wasted_calls": wasted_calls,
            "max_repeats": row["max_repeats"],
            "wasted_seconds": round(row["wasted_ns"] / 1e9, 3),
            "wasted_tokens": tokens,
            "loops_ending_ok": row["ended_ok"],
            "failed_calls": row["failed_calls"],
            "top_error": top_error,
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type=kind,
            priority=priority(wasted_calls, high=30, medium=8),
            confidence=confidence(loops, row["sessions"]),
            subject=Subject(service=row["service"], agent=agent, tool=tool),
            title=f"{actor} loops on `{tool}` with identical arguments ({loops} loops)",
            summary=(
                f"{actor} called `{tool}` with identical arguments up to {row['max_repeats']} "
                f"times in one trace; {loops} such loops in {row['sessions']} sessions between "
                f"{day(row['first_seen'])} and {day(row['last_seen'])} wasted {waste}. "
                f"{row['ended_ok']} of the loops ended with a successful call."
            ),
            proposed_change=change,
            expected_impact=f"Saves up to {waste} per {context.window}.",
            risk="Low: a guard stops only identical repeats; polling uses new arguments.",
            evidence=evidence(row, context, query, metrics),
            severity=float(wasted_calls),
        )
