"""Turn a failure pattern into a recommendation: the matching proposal's, or a rule of thumb."""

from __future__ import annotations

from typing import Any


def recommend(pattern: dict[str, Any], proposals: list[dict[str, Any]]) -> str:
    for proposal in proposals:
        if proposal["tool"] == pattern["tool"] and pattern["who"].endswith(proposal["agent"]):
            return f"{proposal['proposed_change']} (proposal {proposal['id']})"
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
