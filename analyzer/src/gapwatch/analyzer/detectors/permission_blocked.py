"""``permission_blocked``: an agent keeps being refused the same kind of action.

Groups refusals (``outcome = blocked``) by agent, tool and refusal rule (the refusal message's
fingerprint: one policy refusing many paths is one gap), finds the pattern the refused resources
share (their common directory, or the URL's host) and names the capability the agent was after —
the reported ``gapwatch.desired_capability`` when there is one, else derived from tool and
pattern — so a person can decide to grant it, scope it, or route the work elsewhere.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

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
    version = 2  # 2: one finding per refusal rule, with the refused resources' common pattern
    defaults = PermissionBlockedThresholds()
    bound_thresholds = ("min_refusals", "min_sessions", "min_refusal_share", "max_findings")

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        agent, tool, count = row["agent"], row["tool"], row["count"]
        resources = [r for r in row["resources"] if r]
        pattern = resource_pattern(resources)
        reported, reported_count = mode(*row["capabilities"])
        capability = reported or _derived_capability(tool, pattern)
        where = f"`{pattern}`" if pattern else "its targets"
        actor = f"`{agent}`" if agent else "the agent"
        examples = ", ".join(f"`{r}`" for r in resources[:5]) or "not recorded"
        metrics = {
            "refusals": count,
            "calls": row["calls"],
            "resource_pattern": pattern,
            "desired_capability": capability,
            "capability_reported": bool(reported),
            "capability_reports": reported_count,
            "reason_fingerprint": row["rule"],
            "example_reason": row["example_reason"],
            "example_resources": resources[:5],
        }
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="permission_change",
            priority=priority(count * min(row["sessions"], 5), high=50, medium=12),
            confidence=confidence(count, row["sessions"]),
            subject=Subject(
                service=row["service"], agent=agent, tool=tool, extra=(("rule", row["rule"]),)
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


def resource_pattern(resources: list[str]) -> str:
    """What refused resources share: ``scheme://host/**`` for URLs of one host, the deepest
    common directory (``src/**``) for paths, ``*`` when they share nothing, ``''`` for none."""
    if not resources:
        return ""
    urls = [urlsplit(r) for r in resources if "://" in r]
    if urls:
        hosts = {(u.scheme, u.hostname or "") for u in urls}
        if len(urls) == len(resources) and len(hosts) == 1:
            scheme, host = hosts.pop()
            return f"{scheme}://{host}/**"
        return "*"
    directories = [r.split("/")[:-1] for r in resources]
    common: list[str] = []
    for parts in zip(*directories, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    if not common or common == [""]:
        return "*"
    return "/".join(common) + "/**"


def _derived_capability(tool: str, pattern: str) -> str:
    target = pattern or "the resources it was refused"
    return f"`{tool}` access to {target}"
