"""``error_spike``: a subject failing far more in the last hours than its own baseline.

The analysis window is split into a recent part (the last ``recent_hours``) and the baseline
before it. A subject (tool, agent run or delegation edge) with a baseline, whose recent failure
rate is several times its baseline rate and significantly higher (Fisher's exact test), spikes.
The dominant recent error — and whether it existed before — says where to look.
"""

from __future__ import annotations

from datetime import timedelta
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
    thresholds_for,
    window_parameters,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import ErrorSpikeThresholds


class ErrorSpikeDetector(SqlDetector):
    id = "error_spike"
    version = 1

    def parameters(self, context: DetectionContext) -> dict[str, Any]:
        limits = thresholds_for(context, self.id, ErrorSpikeThresholds())
        recent_since = max(context.since, context.until - timedelta(hours=limits.recent_hours))
        return window_parameters(context) | {
            "recent_since": recent_since,
            "min_errors": limits.min_errors,
        }

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        limits = thresholds_for(context, self.id, ErrorSpikeThresholds())
        findings = []
        for row in query.rows:
            if row["baseline_calls"] < limits.min_baseline_calls or not row["recent_calls"]:
                continue
            recent_rate = row["count"] / row["recent_calls"]
            # a baseline without failures still has some rate: add one failure's worth
            baseline_rate = (row["baseline_failures"] + 1) / (row["baseline_calls"] + 1)
            if (
                recent_rate < limits.min_recent_rate
                or recent_rate < limits.min_factor * baseline_rate
            ):
                continue
            table = [
                [row["count"], row["recent_calls"] - row["count"]],
                [row["baseline_failures"], row["baseline_calls"] - row["baseline_failures"]],
            ]
            p_value = float(stats.fisher_exact(table, alternative="greater").pvalue)
            if p_value > limits.alpha:
                continue
            findings.append(self._finding(row, limits, p_value, query, context))
        return findings[: limits.max_findings]

    def _finding(
        self,
        row: dict[str, Any],
        limits: ErrorSpikeThresholds,
        p_value: float,
        query: QueryResult,
        context: DetectionContext,
    ) -> Finding:
        subject = _describe(row)
        recent = f"{pct(row['count'], row['recent_calls'])} ({row['count']}/{row['recent_calls']})"
        baseline = (
            f"{pct(row['baseline_failures'], row['baseline_calls'])} "
            f"({row['baseline_failures']}/{row['baseline_calls']})"
        )
        top_error, top_count = mode(*row["recent_errors"])
        is_new = bool(top_error) and top_error not in (row["baseline_errors"][0] or [])
        cause = (
            f' Most recent failures are "{quote(top_error)}" ({top_count}×)'
            + (", an error not seen in the baseline." if is_new else ", also seen before.")
            if top_error
            else ""
        )
        hours = f"{limits.recent_hours:g} h"
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="investigate",
            priority="high" if row["count"] >= 4 * limits.min_errors else "medium",
            confidence=confidence(row["count"], row["sessions"], p_value),
            subject=Subject(
                service=row["service"],
                agent=row["agent"],
                tool=row["tool"],
                target_agent=row["target_agent"],
                extra=(("span_type", row["span_type"]),),
            ),
            title=f"Failures of {subject} jumped to {pct(row['count'], row['recent_calls'])} "
            f"in the last {hours}",
            summary=(
                f"{subject[:1].upper() + subject[1:]} failed {recent} of calls in the last "
                f"{hours} (since {day(row['first_seen'])}) against {baseline} before "
                f"(Fisher p={p_value:.1e}).{cause}"
            ),
            proposed_change=(
                f"Investigate {subject} now: start from the sample traces"
                + (f' and the new error "{quote(top_error)}"' if is_new else "")
                + "; check what changed at "
                f"{day(row['first_seen'])} (deploys, versions, upstream services) and roll back "
                f"or fail over if it is a change of yours."
            ),
            expected_impact=(
                f"Returning to the baseline avoids about {_excess(row)} failures per {hours} at "
                f"the current traffic."
            ),
            risk="None for investigating; a rollback loses what the change added.",
            evidence=evidence(
                row,
                context,
                query,
                {
                    "recent_calls": row["recent_calls"],
                    "recent_failures": row["count"],
                    "baseline_calls": row["baseline_calls"],
                    "baseline_failures": row["baseline_failures"],
                    "p_value": p_value,
                    "top_recent_error": top_error,
                    "top_error_is_new": is_new,
                },
            ),
            severity=float(row["count"]),
        )


def _describe(row: dict[str, Any]) -> str:
    if row["span_type"] == "tool":
        return f"tool `{row['tool']}`" + (f" of `{row['agent']}`" if row["agent"] else "")
    if row["span_type"] == "delegation":
        return f"delegations to `{row['target_agent']}`"
    return f"agent `{row['agent']}`"


def _excess(row: dict[str, Any]) -> int:
    """Recent failures beyond what the baseline rate predicts for the recent traffic."""
    expected = row["recent_calls"] * row["baseline_failures"] / row["baseline_calls"]
    return max(0, int(round(float(row["count"]) - expected)))
