"""``negative_feedback``: people rate an agent's or tool's output down, or fix it by hand.

Reads ``gapwatch.feedback`` ratings (negative: ≤ ``negative_rating`` on −1…1 / 0…1 scales, or
≤ ``negative_stars`` on a 1–5 scale) and ``gapwatch.user_correction`` events, per agent and
tool. Frequent, spread-out negatives — a real share of what was rated, significantly above the
share a good agent is rated down at anyway (a binomial test) — become a finding.
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
    thresholds_for,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import NegativeFeedbackThresholds


class NegativeFeedbackDetector(SqlDetector):
    id = "negative_feedback"
    version = 2  # 2: negative ratings tested against a base rate
    defaults = NegativeFeedbackThresholds()
    bound_thresholds = (
        "min_count",
        "min_sessions",
        "min_negative_rate",
        "negative_rating",
        "negative_stars",
        "max_findings",
    )

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        agent, tool = row["agent"], row["tool"]
        target = f"`{tool}`" if row["span_type"] == "tool" and tool else f"`{agent}`"
        rated, negatives, corrected = row["rated"], row["negatives"], row["corrected"]
        limits = thresholds_for(context, self.id, NegativeFeedbackThresholds())
        p_value = None
        if rated:
            p_value = above_base_rate(negatives + corrected, rated, limits.base_negative_rate)
            if p_value > limits.alpha:
                return None
        parts = []
        if rated:
            parts.append(f"rated down in {negatives} of {rated} ratings ({pct(negatives, rated)})")
        if corrected:
            parts.append(
                f"corrected by hand {row['correction_events']} times on {corrected} outputs"
            )
        said = " and ".join(parts)
        is_tool = row["span_type"] == "tool" and bool(tool)
        metrics = {
            "rated": rated,
            "negative_ratings": negatives,
            "negative_rate": round(negatives / rated, 4) if rated else None,
            "mean_rating": round(float(row["mean_rating"]), 3) if rated else None,
            "corrected_outputs": corrected,
            "corrections": row["correction_events"],
            "p_value": p_value,
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="tool_improvement" if is_tool else "prompt_update",
            priority=priority(row["count"], high=20, medium=8),
            confidence=confidence(row["count"], row["sessions"], p_value),
            subject=Subject(
                service=row["service"],
                agent=agent,
                tool=tool if is_tool else "",
                extra=(("span_type", row["span_type"]),),
            ),
            title=f"Users push back on {target}'s output: {said}",
            summary=(
                f"{target}'s output was {said}, in {row['sessions']} sessions between "
                f"{day(row['first_seen'])} and {day(row['last_seen'])}."
            ),
            proposed_change=(
                f"Read the {row['count']} rated-down or corrected outputs (sample traces) side by "
                f"side with what people changed, name the recurring gap, and "
                + (
                    f"change `{tool}`'s output to close it."
                    if is_tool
                    else f"add it to `{agent}`'s instructions with one worked example."
                )
                + " Re-measure the share of negative ratings afterwards."
            ),
            expected_impact=(
                f"Fewer than {row['count']} negative or corrected outputs per {context.window}; "
                f"each avoided correction is a person's time saved."
            ),
            risk="Low: an instruction change can shift other behaviour; compare before/after.",
            evidence=evidence(row, context, query, metrics),
            severity=float(row["count"]),
        )
