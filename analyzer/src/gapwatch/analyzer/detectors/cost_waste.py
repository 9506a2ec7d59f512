"""``cost_waste``: tokens an agent spends on runs that fail late, and on runs far above its norm.

Tokens belong to the agent that spent them: the agent owning the model calls, a sub-agent deep in
a trace as much as the trace's root. A run is one agent's part of a trace; its tokens are the sum
of its inference spans (or its agent span's total when it has none). Waste is the tokens of
failed runs — when failed runs cost more than the agent's successful ones (``failed_cost_factor``
× their median: the agent keeps going instead of failing fast; a run that fails as cheaply as it
succeeds is a failure for the other detectors, not a cost problem) — plus, for successful runs
above ``outlier_factor`` × the median successful run, the part above that line. Looping work is
counted by ``retry_loop``.
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
    pct,
    priority,
    quote,
    thresholds_for,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import CostWasteThresholds


class CostWasteDetector(SqlDetector):
    id = "cost_waste"
    version = 2  # 2: tokens of the agent that spent them; failed runs only when they run long
    defaults = CostWasteThresholds()
    bound_thresholds = ("min_runs", "outlier_factor", "failed_cost_factor")

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        limits = thresholds_for(context, self.id, CostWasteThresholds())
        findings = []
        for row in query.rows:
            wasted = int(row["failed_tokens"]) + int(row["outlier_excess"])
            if wasted < limits.min_wasted_tokens:
                continue
            if wasted < limits.min_waste_share * row["total_tokens"]:
                continue
            findings.append(self._finding(row, wasted, limits, query, context))
        return findings[: limits.max_findings]

    def _finding(
        self,
        row: dict[str, Any],
        wasted: int,
        limits: CostWasteThresholds,
        query: QueryResult,
        context: DetectionContext,
    ) -> Finding:
        agent, total = row["agent"], int(row["total_tokens"])
        top_error, top_count = mode(*row["errors"])
        steps: list[str] = []
        if row["failed_runs"]:
            cause = f', most often "{quote(top_error)}" ({top_count}×)' if top_error else ""
            steps.append(
                f"make `{agent}` fail fast: stop a run at the first unrecoverable error{cause} "
                f"instead of spending more turns on it ({number(row['failed_tokens'])} tokens "
                f"went to {row['failed_runs']} failed runs, a median of "
                f"{number(row['median_failed_tokens'])} tokens each against "
                f"{number(row['median_tokens'])} for a successful run)"
            )
        if row["outlier_runs"]:
            steps.append(
                f"cap a run's token budget near the p95 of {number(row['p95_tokens'])} tokens "
                f"and look at the {row['outlier_runs']} runs above "
                f"{limits.outlier_factor:g}× the successful median of "
                f"{number(row['median_tokens'])} "
                f"(sample traces) for context that could be trimmed or cached"
            )
        metrics = {
            "runs": row["runs"],
            "total_tokens": total,
            "wasted_tokens": wasted,
            "waste_share": round(wasted / total, 4),
            "failed_runs": row["failed_runs"],
            "failed_tokens": int(row["failed_tokens"]),
            "outlier_runs": row["outlier_runs"],
            "outlier_excess_tokens": int(row["outlier_excess"]),
            "median_tokens": float(row["median_tokens"]),
            "median_failed_tokens": float(row["median_failed_tokens"]),
            "p95_tokens": float(row["p95_tokens"]),
            "top_failure": top_error,
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="cost_reduction",
            priority=priority(wasted / max(total, 1), high=0.4, medium=0.2),
            confidence=confidence(row["count"], row["sessions"]),
            subject=Subject(service=row["service"], agent=agent),
            title=f"{pct(wasted, total)} of `{agent}`'s tokens go to failed or runaway runs",
            summary=(
                f"Of {number(total)} tokens over {row['runs']} runs of `{agent}`, "
                f"{number(wasted)} ({pct(wasted, total)}) were spent on {row['failed_runs']} "
                f"failed runs and on {row['outlier_runs']} runs above {limits.outlier_factor:g}× "
                f"the median, between {day(row['first_seen'])} and {day(row['last_seen'])}."
            ),
            proposed_change=_sentence("; ".join(steps)),
            expected_impact=(
                f"Up to {number(wasted)} tokens ({pct(wasted, total)} of `{agent}`'s usage) "
                f"saved per {context.window}."
            ),
            risk="Medium: a cap can cut off a legitimately long run; alert before enforcing it.",
            evidence=evidence(row, context, query, metrics),
            severity=float(wasted),
        )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
