"""``permission_blocked``: an agent keeps being refused the same kind of action.

Groups refusals (``outcome = blocked``) by agent, tool and a resource pattern (the first two
directories of the path, or the URL's host) and names the capability the agent was after —
the reported ``gapwatch.desired_capability`` when there is one, else derived from tool and
pattern — so a person can decide to grant it, scope it, or route the work elsewhere.
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
    quote,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import PermissionBlockedThresholds


class PermissionBlockedDetector(SqlDetector):
    id = "permission_blocked"
    version = 1
    defaults = PermissionBlockedThresholds()
    bound_thresholds = ("min_refusals", "min_sessions", "max_findings")

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        agent, tool, pattern, count = row["agent"], row["tool"], row["pattern"], row["count"]
        reported, reported_count = mode(*row["capabilities"])
        capability = reported or _derived_capability(tool, pattern)
        reason, _ = mode(*row["reasons"])
        where = f"`{pattern}`" if pattern else "its targets"
        actor = f"`{agent}`" if agent else "the agent"
        examples = ", ".join(f"`{r}`" for r in row["resources"]) or "not recorded"
        metrics = {
            "refusals": count,
            "resource_pattern": pattern,
            "desired_capability": capability,
            "capability_reported": bool(reported),
            "capability_reports": reported_count,
            "reason_fingerprint": reason,
            "example_reason": row["example_reason"],
            "example_resources": list(row["resources"]),
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="permission_change",
            priority=priority(count * min(row["sessions"], 5), high=50, medium=12),
            confidence=confidence(count, row["sessions"]),
            subject=Subject(
                service=row["service"], agent=agent, tool=tool, extra=(("resource", pattern),)
            ),
            title=f"{actor} is refused `{tool}` on {where} ({count}×): wants {capability}",
            summary=(
                f"{actor} was refused `{tool}` on {where} {count} times in {row['sessions']} "
                f"sessions between {day(row['first_seen'])} and {day(row['last_seen'])}. "
                f'The refusal says "{quote(row["example_reason"])}"; examples: {examples}.'
            ),
            proposed_change=(
                f'Grant {actor} "{capability}" scoped to {where} (tool `{tool}`), or route '
                f"these tasks to an agent that already holds it and tell {actor} to delegate "
                f"them instead of trying. Keep the policy for everything outside {where}."
            ),
            expected_impact=(
                f"Removes {count} refusals per {context.window} and the detours that followed "
                f"them in {row['sessions']} sessions."
            ),
            risk=(
                f"Widens what {actor} may change. Grant only {where}, keep an audit of its "
                f"`{tool}` calls there, and review the sample traces before approving."
            ),
            evidence=evidence(row, context, query, metrics),
            severity=float(count),
        )


def _derived_capability(tool: str, pattern: str) -> str:
    target = pattern or "the resources it was refused"
    return f"`{tool}` access to {target}"
