"""``tool_failure_hotspot``: a tool that keeps failing the same way across sessions.

Groups failed tool calls (errors and timeouts) by the agent that made them, the tool and the
normalized error fingerprint, keeps the modes that are frequent, spread over sessions and a real
share of the agent's calls of the tool — significantly above the rate any tool fails at anyway
(a binomial test, so the failures needed grow with the calls) — and proposes a fix matched to
the kind of failure (transient, bad input, missing target, other).
"""

from __future__ import annotations

import re
from typing import Any

from gapwatch.analyzer.detectors._sql import (
    QueryResult,
    SqlDetector,
    above_base_rate,
    confidence,
    day,
    evidence,
    pct,
    priority,
    quote,
    seconds,
    thresholds_for,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import ToolFailureHotspotThresholds

_TRANSIENT = re.compile(
    r"time[d ]?out|deadline|rate.?limit|too many requests|\b(429|502|503|504)\b|unavailable|"
    r"connection (reset|refused|aborted)|temporar|try again|overloaded",
    re.IGNORECASE,
)
_BAD_INPUT = re.compile(
    r"invalid|missing|required|schema|validation|malformed|parse|unexpected (token|argument)|"
    r"ValueError|TypeError|KeyError|argument",
    re.IGNORECASE,
)
_NOT_FOUND = re.compile(r"not found|\b404\b|no such|does not exist|ENOENT|unknown", re.IGNORECASE)


class ToolFailureHotspotDetector(SqlDetector):
    id = "tool_failure_hotspot"
    version = 2  # 2: failures tested against a base rate
    defaults = ToolFailureHotspotThresholds()
    bound_thresholds = ("min_failures", "min_sessions", "min_failure_rate", "max_findings")

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        tool, agent, failures, calls = row["tool"], row["agent"], row["count"], row["calls"]
        limits = thresholds_for(context, self.id, ToolFailureHotspotThresholds())
        p_value = above_base_rate(failures, calls, limits.base_failure_rate)
        if p_value > limits.alpha:
            return None
        mode = row["error_fingerprint"] or row["error_type"]
        rate = failures / calls
        who = f" by `{agent}`" if agent else ""
        kind, change, risk = _remedy(tool, row)
        metrics = {
            "failures": failures,
            "calls": calls,
            "failure_rate": round(rate, 4),
            "timeouts": row["timeouts"],
            "error_type": row["error_type"],
            "error_fingerprint": row["error_fingerprint"],
            "example_message": row["example"],
            "failure_kind": kind,
            "p95_duration_s": round(row["p95_duration_ns"] / 1e9, 3),
            "p_value": p_value,
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="tool_improvement",
            priority=priority(failures * max(rate, 0.1), high=10, medium=3),
            confidence=confidence(failures, row["sessions"], p_value),
            subject=Subject(
                service=row["service"],
                agent=agent,
                tool=tool,
                error_type=row["error_type"],
                extra=(("error_fingerprint", row["error_fingerprint"]),),
            ),
            title=f'`{tool}` fails with "{quote(mode, 80)}" in {pct(failures, calls)} of calls',
            summary=(
                f"`{tool}`{who} failed {failures} of {calls} calls ({pct(failures, calls)}) with "
                f'{row["error_type"] or "an error"} "{quote(mode)}" across {row["sessions"]} '
                f"sessions between {day(row['first_seen'])} and {day(row['last_seen'])}. "
                f'Latest message: "{quote(row["example"])}".'
            ),
            proposed_change=change,
            expected_impact=(
                f"Up to {failures} fewer failed `{tool}` calls per {context.window} "
                f"({pct(failures, calls)} of its calls) in {row['sessions']} sessions, and the "
                f"agent turns that follow each failure."
            ),
            risk=risk,
            evidence=evidence(row, context, query, metrics),
            severity=float(failures),
        )


def _remedy(tool: str, row: dict[str, Any]) -> tuple[str, str, str]:
    """(failure kind, proposed change, risk) from what the failure mode looks like."""
    text = f"{row['error_type']} {row['error_fingerprint']} {row['example']}"
    mode = quote(row["error_fingerprint"] or row["error_type"])
    if _TRANSIENT.search(text):
        timeouts = row["timeouts"]
        extra = (
            f" {timeouts} of them were timeouts with a p95 of {seconds(row['p95_duration_ns'])}: "
            f"check whether the timeout fits the work or the result can be cached."
            if timeouts
            else ""
        )
        return (
            "transient",
            f'Make `{tool}` retry "{mode}" itself with bounded backoff (2–3 attempts) and, '
            f"when retries are exhausted, return a short error that tells the agent to move on "
            f"instead of repeating the call.{extra}",
            "Low: confined to one tool. Unbounded retries could hide an outage; cap and log them.",
        )
    if _BAD_INPUT.search(text):
        return (
            "bad_input",
            f"Tighten `{tool}`'s parameter schema and description so the model sends valid "
            f'arguments (it fails with "{mode}"), and return the expected format in the error '
            f"so the agent can correct the call in one step. The sample traces hold the failing "
            f"arguments when content capture is on.",
            "Low: a description/schema change; re-check the tool's successful calls still pass.",
        )
    if _NOT_FOUND.search(text):
        return (
            "not_found",
            f'Have `{tool}` answer "{mode}" with an explicit not-found result listing valid '
            f"candidates, and say in its description how to look identifiers up first, so the "
            f"agent stops guessing.",
            "Low: changes the tool's answer for a case that already fails.",
        )
    return (
        "other",
        f'Fix the "{mode}" failure inside `{tool}` ({row["error_type"] or "no error type"}); '
        f"reproduce it from the sample traces, then return an actionable error for what cannot "
        f"be fixed.",
        "Medium: a code change in the tool; test it against the sample traces' inputs.",
    )
