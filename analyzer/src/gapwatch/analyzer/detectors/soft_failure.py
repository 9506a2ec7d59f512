"""``soft_failure``: a tool that returns an error payload while its span says everything is fine.

Such calls (``outcome = soft_error``: an explicit ``gapwatch.tool.outcome``, an MCP result with
``isError``, ``{"error": …}``, ``"success": false`` …) are invisible to error dashboards and to
retry logic, and the agent may take the error text for an answer. A payload needs to come back
in a real share of the agent's calls of the tool, significantly above the rate tools return
error payloads for anyway (a binomial test).
"""

from __future__ import annotations

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
    thresholds_for,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import SoftFailureThresholds


class SoftFailureDetector(SqlDetector):
    id = "soft_failure"
    version = 2  # 2: a share of the tool's calls, tested against a base rate
    defaults = SoftFailureThresholds()
    bound_thresholds = ("min_count", "min_sessions", "min_rate", "max_findings")

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        tool, count, calls = row["tool"], row["count"], row["calls"]
        limits = thresholds_for(context, self.id, SoftFailureThresholds())
        p_value = above_base_rate(count, calls, limits.base_rate)
        if p_value > limits.alpha:
            return None
        payload = quote(row["error_fingerprint"] or row["example"])
        metrics = {
            "soft_failures": count,
            "calls": calls,
            "rate": round(count / calls, 4),
            "error_fingerprint": row["error_fingerprint"],
            "example_payload": row["example"],
            "p_value": p_value,
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="tool_improvement",
            priority=priority(count, high=25, medium=8),
            confidence=confidence(count, row["sessions"], p_value),
            subject=Subject(
                service=row["service"],
                agent=row["agent"],
                tool=tool,
                extra=(("error_fingerprint", row["error_fingerprint"]),),
            ),
            title=f'`{tool}` returns "{quote(payload, 60)}" as a successful result',
            summary=(
                f"{count} of {calls} `{tool}` calls ({pct(count, calls)}) returned an error "
                f'payload ("{payload}") while the span reported success, in {row["sessions"]} '
                f"sessions between {day(row['first_seen'])} and {day(row['last_seen'])}."
            ),
            proposed_change=(
                f'Make `{tool}` signal "{payload}" as a failure — raise / set the span status to '
                f"ERROR with an `error.type`, or return a structured error the agent framework "
                f"treats as one — so retries, error dashboards and the agent all see it; then "
                f"handle the underlying case so the call succeeds."
            ),
            expected_impact=(
                f"{count} hidden failures per {context.window} become visible and retryable; "
                f"`{tool}`'s reported success rate becomes true."
            ),
            risk="Low: the agent may now see errors it used to misread as answers.",
            evidence=evidence(row, context, query, metrics),
            severity=float(count),
        )
