"""One root cause, one proposal: which findings fold into which, and what the lead shows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from gapwatch.analyzer.analysis import _deduplicate
from gapwatch.analyzer.detectors.base import Evidence, Finding, Subject
from gapwatch.analyzer.proposals.model import proposal_id
from gapwatch.analyzer.proposals.rootcause import merge_root_causes

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


def finding(
    detector: str,
    *,
    agent: str = "coder",
    tool: str = "",
    target: str = "",
    extra: tuple[tuple[str, str], ...] = (),
    count: int = 10,
    priority: str = "medium",
    first_seen: datetime = T0,
    **metrics: Any,
) -> Finding:
    return Finding(
        detector=detector, detector_version=1, proposal_type="investigate", priority=priority,
        confidence=0.5,
        subject=Subject(service="svc", agent=agent, tool=tool, target_agent=target, extra=extra),
        title=f"{detector} on {agent}/{tool or target}", summary="Summary.",
        proposed_change="Change.", expected_impact="Impact.", risk="Risk.",
        evidence=Evidence(count=count, sessions=3, traces=("a" * 32,), first_seen=first_seen,
                          last_seen=first_seen + timedelta(hours=1), window="7d",
                          metrics=metrics),
    )


def hotspot(tool: str, fingerprint: str, *, failures: int = 20, timeouts: int = 0,
            agent: str = "coder", priority: str = "medium") -> Finding:
    return finding("tool_failure_hotspot", agent=agent, tool=tool, count=failures,
                   priority=priority, extra=(("error_fingerprint", fingerprint),),
                   failures=failures, timeouts=timeouts, error_fingerprint=fingerprint)


def detectors_of(leads: list[Finding]) -> list[str]:
    return sorted(lead.detector for lead in leads)


def test_timeout_leads_the_hotspot_of_its_timeouts_when_same_tool() -> None:
    timeout = finding("timeout_input_correlation", tool="lsp", extra=(("symptom", "timeout"),))
    spots = hotspot("lsp", "lsp timed out after <n> ms", timeouts=18, priority="high")
    (lead,) = merge_root_causes([spots, timeout])
    assert lead.detector == "timeout_input_correlation"
    assert [r["detector"] for r in lead.evidence.metrics["related"]] == ["tool_failure_hotspot"]
    assert lead.evidence.metrics["related"][0]["proposal_id"] == proposal_id(
        spots.detector, spots.subject)
    assert lead.priority == "high"  # the most urgent of the cause
    assert "Same cause, also seen as" in lead.summary


def test_hotspot_stays_apart_when_its_failures_are_not_timeouts() -> None:
    timeout = finding("timeout_input_correlation", tool="lsp", extra=(("symptom", "timeout"),))
    spots = hotspot("lsp", "index corrupted", timeouts=2)
    assert detectors_of(merge_root_causes([timeout, spots])) == [
        "timeout_input_correlation", "tool_failure_hotspot"]


def test_retry_loop_leads_the_hotspot_of_its_failed_calls() -> None:
    loop = finding("retry_loop", tool="run_tests", top_error="AssertionError: <n> failed",
                   failed_calls=90)
    spots = hotspot("run_tests", "AssertionError: <n> failed", failures=95)
    assert detectors_of(merge_root_causes([loop, spots])) == ["retry_loop"]


def test_regression_leads_failures_its_version_brought() -> None:
    regression = finding("version_regression", agent="reviewer",
                         grown_errors=["<n> Unprocessable Entity"], changes={"error_rate": {}})
    spots = hotspot("post_comment", "<n> Unprocessable Entity", agent="reviewer")
    other = hotspot("read_diff", "disk full", agent="reviewer")
    assert detectors_of(merge_root_causes([regression, spots, other])) == [
        "tool_failure_hotspot", "version_regression"]


def test_regression_does_not_lead_a_spike_that_began_long_after_the_version() -> None:
    regression = finding("version_regression", agent="scout",
                         grown_errors=["cdn down", "schema rejected"], first_seen=T0)
    spike = finding("error_spike", agent="scout", tool="open_url",
                    extra=(("span_type", "tool"),), top_recent_error="cdn down",
                    recent_failures=20, first_seen=T0 + timedelta(days=2))
    assert detectors_of(merge_root_causes([regression, spike])) == [
        "error_spike", "version_regression"]


def test_spike_leads_an_older_version_that_only_looks_worse_because_of_it() -> None:
    spike = finding("error_spike", agent="builder", tool="compile",
                    extra=(("span_type", "tool"),), top_recent_error="cdn down",
                    recent_failures=20, first_seen=T0 + timedelta(days=2))
    looks_worse = finding("version_regression", agent="builder", grown_errors=["cdn down"],
                          first_seen=T0)
    assert detectors_of(merge_root_causes([looks_worse, spike])) == ["error_spike"]
    regressed = finding("version_regression", agent="builder",
                        grown_errors=["cdn down", "schema rejected"], first_seen=T0)
    assert detectors_of(merge_root_causes([regressed, spike])) == [
        "error_spike", "version_regression"]


def test_delegation_leads_the_tool_that_carried_it_and_the_callee_cost() -> None:
    delegation = finding("delegation_failure", agent="planner", target="summarizer",
                         carrier_tools=["ask_summarizer"], top_error="context exceeded")
    carrier = hotspot("ask_summarizer", "something else", agent="planner")
    cost = finding("cost_waste", agent="summarizer")
    unrelated_cost = finding("cost_waste", agent="coder")
    leads = merge_root_causes([carrier, cost, unrelated_cost, delegation])
    assert detectors_of(leads) == ["cost_waste", "delegation_failure"]
    (lead,) = [f for f in leads if f.detector == "delegation_failure"]
    assert {r["detector"] for r in lead.evidence.metrics["related"]} == {
        "tool_failure_hotspot", "cost_waste"}


def test_spike_leads_the_hotspot_it_caused_and_a_chronic_hotspot_leads_its_spike() -> None:
    spike = finding("error_spike", tool="fetch", extra=(("span_type", "tool"),),
                    top_recent_error="cdn down", recent_failures=24)
    caused = hotspot("fetch", "cdn down", failures=30)
    assert detectors_of(merge_root_causes([caused, spike])) == ["error_spike"]
    chronic = hotspot("fetch", "cdn down", failures=200)
    assert detectors_of(merge_root_causes([chronic, spike])) == ["tool_failure_hotspot"]


def test_merging_does_not_depend_on_order() -> None:
    findings = [
        finding("timeout_input_correlation", tool="lsp", extra=(("symptom", "timeout"),)),
        hotspot("lsp", "timed out", timeouts=20),
        finding("error_spike", tool="lsp", extra=(("span_type", "tool"),),
                top_recent_error="timed out", recent_failures=5),
        hotspot("grep", "bad regex"),
    ]
    results = {
        tuple((f.detector, f.subject, f.summary) for f in merge_root_causes(list(order)))
        for order in itertools.permutations(findings)
    }
    assert len(results) == 1
    assert sorted(d for d, _, _ in results.pop()) == [
        "timeout_input_correlation", "tool_failure_hotspot"]


def test_analysis_deduplication_keys_the_leads_by_proposal_id() -> None:
    timeout = finding("timeout_input_correlation", tool="lsp", extra=(("symptom", "timeout"),))
    chosen = _deduplicate([hotspot("lsp", "timed out", timeouts=20), timeout, timeout])
    assert list(chosen) == [proposal_id(timeout.detector, timeout.subject)]
