"""``delegation_failure``: delegations from one agent to another that keep failing.

Reads every delegation edge (caller → target, per ``gapwatch.delegation.category``; the outcome
is the callee run's). An edge whose failures are frequent, spread over sessions and significantly
above the rate delegations fail at anyway becomes a finding; when another target handles the
same category clearly better, the proposal is to route there, otherwise to improve the target
(or, for a category it mostly fails, to build a specialist).
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
    mode,
    pct,
    priority,
    quote,
    thresholds_for,
    window_parameters,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import DelegationFailureThresholds

MAX_EDGES = 10_000


class DelegationFailureDetector(SqlDetector):
    id = "delegation_failure"
    version = 2  # 2: failures tested against a base rate

    def parameters(self, context: DetectionContext) -> dict[str, Any]:
        return window_parameters(context) | {"max_edges": MAX_EDGES}

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        limits = thresholds_for(context, self.id, DelegationFailureThresholds())
        findings = []
        for row in query.rows:
            if (
                row["count"] >= limits.min_failures
                and row["count"] >= limits.min_failure_rate * row["calls"]
                and row["sessions"] >= limits.min_sessions
            ):
                p_value = above_base_rate(row["count"], row["calls"], limits.base_failure_rate)
                if p_value > limits.alpha:
                    continue
                better = _better_target(row, query.rows, limits)
                findings.append(self._finding(row, better, p_value, query, context))
            if len(findings) >= limits.max_findings:
                break
        return findings

    def _finding(
        self,
        row: dict[str, Any],
        better: dict[str, Any] | None,
        p_value: float,
        query: QueryResult,
        context: DetectionContext,
    ) -> Finding:
        caller = row["caller_agent"] or "an unnamed caller"
        target, category = row["target_agent"], row["delegation_category"]
        failures, calls = row["count"], row["calls"]
        rate = failures / calls
        what = f"`{category}` tasks" if category else "tasks"
        top_outcome, _ = mode(*row["outcomes"])
        top_error, top_error_count = mode(*row["errors"])
        cause = f'"{quote(top_error)}" ({top_error_count}×)' if top_error else top_outcome
        if better is not None:
            kind = "delegation_routing"
            other_rate = better["count"] / better["calls"]
            change = (
                f"Route {what} from `{caller}` to `{better['target_agent']}` instead of "
                f"`{target}`: `{better['target_agent']}` failed {better['count']} of "
                f"{better['calls']} ({pct(better['count'], better['calls'])}) of the same "
                f"category, `{target}` {failures} of {calls} ({pct(failures, calls)}). Update "
                f"`{caller}`'s delegation rules accordingly."
            )
            impact = (
                f"About {round(failures - other_rate * calls)} fewer failed delegations per "
                f"{context.window} if `{better['target_agent']}` keeps its success rate."
            )
        elif category and rate >= 0.5:
            kind = "new_agent"
            change = (
                f"`{target}` fails most {what} it gets from `{caller}` ({failures} of {calls}, "
                f"mostly {cause}). Create a specialist agent for `{category}` with the tools "
                f"and instructions these tasks need, or stop `{caller}` from delegating "
                f"`{category}` to `{target}`."
            )
            impact = f"Up to {failures} failed delegations per {context.window} recovered."
        else:
            kind = "prompt_update"
            change = (
                f"Fix why `{target}` fails {what} from `{caller}` — mostly {cause}: give "
                f"`{target}` what these tasks need (instructions, tools, limits), and make "
                f"`{caller}` pass the context the failures show missing."
            )
            impact = f"Up to {failures} failed delegations per {context.window} recovered."
        metrics = {
            "calls": calls,
            "failures": failures,
            "failure_rate": round(rate, 4),
            "outcomes": dict(zip(*row["outcomes"], strict=True)),
            "top_error": top_error,
            "median_duration_s": round(row["median_duration_ns"] / 1e9, 3),
            "alternative_target": better["target_agent"] if better else "",
            "alternative_failure_rate": (
                round(better["count"] / better["calls"], 4) if better else None
            ),
            "carrier_tools": sorted(name for name in row["tools"][0] if name),
            "p_value": p_value,
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type=kind,
            priority=priority(failures * rate, high=10, medium=3),
            confidence=confidence(failures, row["sessions"], p_value),
            subject=Subject(
                service=row["service"],
                agent=row["caller_agent"],
                target_agent=target,
                extra=(("category", category),),
            ),
            title=f"`{caller}` → `{target}` fails {pct(failures, calls)} of {what}",
            summary=(
                f"Delegations of {what} from `{caller}` to `{target}` failed {failures} of "
                f"{calls} times ({pct(failures, calls)}), mostly {cause}, across "
                f"{row['sessions']} sessions between {day(row['first_seen'])} and "
                f"{day(row['last_seen'])}."
            ),
            proposed_change=change,
            expected_impact=impact,
            risk=(
                "Medium: routing or agent changes move work between agents; compare the new "
                "target's results on the sample traces before switching all traffic."
            ),
            evidence=evidence(row, context, query, metrics),
            severity=float(failures),
        )


def _better_target(
    row: dict[str, Any], rows: list[dict[str, Any]], limits: DelegationFailureThresholds
) -> dict[str, Any] | None:
    """Another target of the same service and category that fails at most half as often."""
    rate = row["count"] / row["calls"]
    candidates = [
        other
        for other in rows
        if other["service"] == row["service"]
        and other["delegation_category"] == row["delegation_category"]
        and other["target_agent"] != row["target_agent"]
        and other["calls"] >= limits.min_alternative_calls
        and other["count"] / other["calls"] <= rate / 2
    ]
    candidates.sort(key=lambda o: (o["count"] / o["calls"], -o["calls"], o["target_agent"]))
    return candidates[0] if candidates else None
