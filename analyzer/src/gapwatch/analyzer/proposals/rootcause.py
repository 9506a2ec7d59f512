"""One root cause, one proposal: findings that describe the same failure fold into the most
specific of them.

    leads = merge_root_causes(findings)
    leads[0].evidence.metrics["related"]  # the findings it absorbed, as supporting evidence

Several detectors can fire on one cause: a tool that times out above an input size is also a
failure hotspot; a tool the agent retries unchanged fails in both ``retry_loop`` and
``tool_failure_hotspot``; a regressed version's new error is a hotspot too; the tool that carried
a failing delegation fails with the callee's error. Each rule below names a lead detector, the
detector it absorbs and when two findings are the same cause (same agent and tool, the same
failure fingerprint …); the rules of a pair of detectors exclude each other, so a spike leads the
hotspot it caused and a chronic hotspot leads its own recent spike. The lead keeps its identity
(and so its proposal id); the absorbed findings are listed under ``evidence.metrics["related"]``,
named in its summary, and the lead takes the highest priority among them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from gapwatch.analyzer.detectors.base import Finding
from gapwatch.analyzer.proposals.model import PRIORITIES, proposal_id

# most specific first: when a finding could join several leads, it joins the most specific one
SPECIFICITY = (
    "timeout_input_correlation",
    "retry_loop",
    "version_regression",
    "delegation_failure",
    "permission_blocked",
    "soft_failure",
    "tool_failure_hotspot",
    "error_spike",
    "negative_feedback",
    "cost_waste",
    "repeated_request",
    "unused_tool",
)
_TIMEOUT = re.compile(r"time[d ]?[ _-]?out|deadline", re.IGNORECASE)
_SPIKE_LEEWAY = timedelta(hours=1)

Rule = Callable[[Finding, Finding], bool]


def merge_root_causes(findings: list[Finding]) -> list[Finding]:
    """The findings that lead, each carrying the findings of the same cause it absorbed.

    Deterministic for any input order: leads are chosen by :data:`SPECIFICITY`, then by id.
    """
    ordered = sorted(findings, key=_order)
    lead_of: dict[int, int] = {}
    for index, finding in enumerate(ordered):
        for candidate, lead in enumerate(ordered):
            if candidate == index:
                continue
            rule = RULES.get((lead.detector, finding.detector))
            if rule is not None and rule(lead, finding):
                lead_of[index] = candidate
                break  # ordered by specificity: the first lead found is the most specific
    absorbed: dict[int, list[Finding]] = {}
    for index in list(lead_of):
        root = _root(index, lead_of)
        if root == index:  # a cycle: the rules disagree, so these findings stay apart
            del lead_of[index]
            continue
        absorbed.setdefault(root, []).append(ordered[index])
    return [
        _with_related(finding, absorbed.get(index, []))
        for index, finding in enumerate(ordered)
        if index not in lead_of
    ]


def _root(index: int, lead_of: dict[int, int]) -> int:
    seen = {index}
    while index in lead_of:
        index = lead_of[index]
        if index in seen:
            return index
        seen.add(index)
    return index


def _rank(finding: Finding) -> int:
    detector = finding.detector
    return SPECIFICITY.index(detector) if detector in SPECIFICITY else len(SPECIFICITY)


def _order(finding: Finding) -> tuple[int, str]:
    return _rank(finding), proposal_id(finding.detector, finding.subject)


def _with_related(lead: Finding, related: list[Finding]) -> Finding:
    if not related:
        return lead
    related = sorted(related, key=_order)
    entries = [
        {
            "proposal_id": proposal_id(f.detector, f.subject),
            "detector": f.detector,
            "title": f.title,
            "priority": f.priority,
            "count": f.evidence.count,
            "subject": {k: v for k, v in f.subject.as_dict().items() if v},
        }
        for f in related
    ]
    metrics: dict[str, Any] = dict(lead.evidence.metrics)
    metrics["related"] = entries
    also = "; ".join(f"{f.title} ({f.detector})" for f in related)
    ranks = [PRIORITIES.index(p) for p in (lead.priority, *(f.priority for f in related))
             if p in PRIORITIES]
    return dataclasses.replace(
        lead,
        priority=PRIORITIES[min(ranks)] if ranks else lead.priority,
        summary=f"{lead.summary} Same cause, also seen as: {also}.",
        evidence=dataclasses.replace(lead.evidence, metrics=metrics),
    )


# --- when two findings are one cause ------------------------------------------------------------


def _metric(finding: Finding, name: str) -> Any:
    return finding.evidence.metrics.get(name)


def _same_tool(a: Finding, b: Finding) -> bool:
    return (a.subject.service, a.subject.agent, a.subject.tool) == (
        b.subject.service,
        b.subject.agent,
        b.subject.tool,
    ) and bool(a.subject.tool)


def _same_agent(a: Finding, b: Finding) -> bool:
    return (a.subject.service, a.subject.agent) == (b.subject.service, b.subject.agent) and bool(
        a.subject.agent
    )


def _failure_modes(finding: Finding) -> set[str]:
    """The failure fingerprints a finding is about."""
    names = ("error_fingerprint", "top_error", "top_recent_error")
    return {str(value) for name in names if (value := _metric(finding, name))}


def _spike_on(finding: Finding, span_type: str) -> bool:
    return dict(finding.subject.extra).get("span_type") == span_type


def _timeout_covers(lead: Finding, other: Finding) -> bool:
    """A timeout above an input size, and failures of the same tool that are timeouts."""
    if dict(lead.subject.extra).get("symptom") != "timeout" or not _same_tool(lead, other):
        return False
    if other.detector == "tool_failure_hotspot":
        failures = int(_metric(other, "failures") or other.evidence.count)
        return 2 * int(_metric(other, "timeouts") or 0) >= failures
    return any(_TIMEOUT.search(mode) for mode in _failure_modes(other))


def _loop_covers(lead: Finding, other: Finding) -> bool:
    """A retry loop, and failures of the same tool that are the loop's own failed calls."""
    if not _same_tool(lead, other):
        return False
    failures = int(_metric(other, "failures") or other.evidence.count)
    in_loops = int(_metric(lead, "failed_calls") or 0)
    return bool(_failure_modes(lead) & _failure_modes(other)) or 2 * in_loops >= failures


def _regression_covers(lead: Finding, other: Finding) -> bool:
    """A version regression, and failures of the agent in a mode that came with the version."""
    if not _same_agent(lead, other):
        return False
    if other.detector == "cost_waste":
        return "tokens" in (_metric(lead, "changes") or {})
    if other.detector == "error_spike" and lead.evidence.first_seen < (
        other.evidence.first_seen - _SPIKE_LEEWAY
    ):
        return False  # the version was out long before the spike: something else changed
    return bool(set(_metric(lead, "grown_errors") or ()) & _failure_modes(other))


def _spike_explains_regression(lead: Finding, other: Finding) -> bool:
    """A recent spike, and a version out long before it whose only new failures are the
    spike's: the outage made the version look worse, the version did not cause it."""
    grown = set(_metric(other, "grown_errors") or ())
    return (
        _same_agent(lead, other)
        and other.evidence.first_seen < lead.evidence.first_seen - _SPIKE_LEEWAY
        and bool(grown)
        and grown <= _failure_modes(lead)
    )


def _delegation_covers(lead: Finding, other: Finding) -> bool:
    """A failing delegation, and what it shows up as elsewhere: the caller's tool that carried
    it, the callee's failing runs and their cost, a spike on the same edge."""
    service, caller, callee = lead.subject.service, lead.subject.agent, lead.subject.target_agent
    if other.subject.service != service:
        return False
    if other.detector == "cost_waste":
        return other.subject.agent == callee
    if other.detector == "error_spike":
        if _spike_on(other, "delegation"):
            return (other.subject.agent, other.subject.target_agent) == (caller, callee)
        if _spike_on(other, "agent"):
            return other.subject.agent == callee
    if other.subject.agent != caller or not other.subject.tool:
        return False
    carriers = set(_metric(lead, "carrier_tools") or ())
    return other.subject.tool in carriers or bool(_failure_modes(lead) & _failure_modes(other))


def _spike_is_most_of(spike: Finding, hotspot: Finding) -> bool:
    """Whether a spike's recent failures are most of a hotspot's failures over the window."""
    recent = int(_metric(spike, "recent_failures") or spike.evidence.count)
    return 2 * recent >= int(_metric(hotspot, "failures") or hotspot.evidence.count)


def _hotspot_covers(lead: Finding, other: Finding) -> bool:
    """A chronic failure hotspot, and a recent spike of the same tool failing the same way."""
    return (
        _same_tool(lead, other)
        and bool(_failure_modes(lead) & _failure_modes(other))
        and not _spike_is_most_of(other, lead)
    )


def _spike_covers(lead: Finding, other: Finding) -> bool:
    """A recent spike, and the hotspot it makes of its tool over the whole window."""
    return (
        _spike_on(lead, "tool")
        and _same_tool(lead, other)
        and bool(_failure_modes(lead) & _failure_modes(other))
        and _spike_is_most_of(lead, other)
    )


RULES: dict[tuple[str, str], Rule] = {
    ("timeout_input_correlation", "tool_failure_hotspot"): _timeout_covers,
    ("timeout_input_correlation", "error_spike"): _timeout_covers,
    ("retry_loop", "tool_failure_hotspot"): _loop_covers,
    ("retry_loop", "error_spike"): _loop_covers,
    ("version_regression", "tool_failure_hotspot"): _regression_covers,
    ("version_regression", "soft_failure"): _regression_covers,
    ("version_regression", "error_spike"): _regression_covers,
    ("version_regression", "cost_waste"): _regression_covers,
    ("delegation_failure", "tool_failure_hotspot"): _delegation_covers,
    ("delegation_failure", "error_spike"): _delegation_covers,
    ("delegation_failure", "cost_waste"): _delegation_covers,
    ("tool_failure_hotspot", "error_spike"): _hotspot_covers,
    ("error_spike", "tool_failure_hotspot"): _spike_covers,
    ("error_spike", "version_regression"): _spike_explains_regression,
}
