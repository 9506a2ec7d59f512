"""Turn a failure pattern into a recommendation: the matching proposal's, or a rule of thumb."""

from __future__ import annotations

from typing import Any

# Which detectors' proposals speak to a failure pattern of each kind.
_DETECTORS_FOR_OUTCOME = {
    "blocked": ("permission_blocked",),
    "soft_error": ("soft_failure",),
    "timeout": ("timeout_input_correlation", "tool_failure_hotspot"),
    "error": ("tool_failure_hotspot", "retry_loop"),
}


def recommend(pattern: dict[str, Any], proposals: list[dict[str, Any]]) -> str:
    proposal = matching_proposal(pattern, proposals)
    if proposal is not None:
        return f"{proposal['proposed_change']} (proposal {proposal['id']})"
    return _rule_of_thumb(pattern)


def matching_proposal(
    pattern: dict[str, Any], proposals: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The proposal about the same subject and kind of failure, preferring one that names the
    same error text; None when no proposal covers the pattern."""
    if pattern["span_type"] == "delegation":
        caller, _, callee = pattern["who"].partition(" → ")
        candidates = [
            p for p in proposals
            if p["detector"] == "delegation_failure"
            and p["agent"] == caller and p["target_agent"] == callee
        ]
    else:
        detectors = _DETECTORS_FOR_OUTCOME.get(pattern["outcome"], ())
        candidates = [
            p for p in proposals
            if p["detector"] in detectors
            and p["tool"] == pattern["tool"] and p["agent"] == pattern["who"]
        ]
        # the more specific detector first (for timeouts: the input-size threshold)
        candidates.sort(key=lambda p: detectors.index(p["detector"]))
        if pattern["outcome"] == "timeout" and candidates:
            return candidates[0]
    text = str(pattern.get("pattern") or "")[:40]
    for proposal in candidates:
        if text and text in f"{proposal['title']} {proposal['summary']}":
            return proposal
    # a tool failing in several ways has one proposal per error: do not lend it to another
    if pattern["outcome"] == "error" and pattern["span_type"] != "delegation":
        return None
    return candidates[0] if candidates else None


def _rule_of_thumb(pattern: dict[str, Any]) -> str:
    outcome = pattern["outcome"]
    if outcome == "timeout":
        size = pattern.get("avg_input_size") or 0
        unit = pattern.get("input_unit") or "units"
        where = f" (failing inputs average {size:,.0f} {unit})" if size else ""
        return ("Times out on large inputs" + where + ": page or chunk the input, cache "
                "results, or cap the input size before calling.")
    if outcome == "blocked":
        wanted = pattern.get("desired_capability") or "this action"
        return (f"Refused by policy: decide whether the agent should get {wanted}, or teach it "
                "not to try.")
    if outcome == "soft_error":
        return ("The tool returns errors inside an OK result: surface them as failures and "
                "handle them (quota, empty results).")
    if pattern["span_type"] == "delegation":
        return "Delegations to this agent fail: add a fallback agent or retry with backoff."
    return "Recurring error: handle it in the tool or give the agent a fallback."
