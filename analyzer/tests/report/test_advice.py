from __future__ import annotations

from typing import Any

from gapwatch.analyzer.report.advice import matching_proposal, recommend


def proposal(pid: str, detector: str, agent: str, tool: str = "", target: str = "",
             title: str = "") -> dict[str, Any]:
    return {"id": pid, "detector": detector, "agent": agent, "tool": tool,
            "target_agent": target, "title": title, "summary": "",
            "proposed_change": f"change from {pid}"}


PROPOSALS = [
    proposal("soft", "soft_failure", "researcher", "web_search",
             title='`web_search` returns "search quota exceeded" as a successful result'),
    proposal("hot1", "tool_failure_hotspot", "coder", "run_tests",
             title='`run_tests` fails with "AssertionError: expected status <n>"'),
    proposal("feedback", "negative_feedback", "summarizer"),
    proposal("deleg", "delegation_failure", "planner", target="summarizer"),
    proposal("lsp-hot", "tool_failure_hotspot", "coder", "lsp", title='fails with "timed out"'),
    proposal("lsp-size", "timeout_input_correlation", "coder", "lsp"),
]


def pattern(
    who: str, tool: str, outcome: str, text: str, span_type: str = "tool"
) -> dict[str, Any]:
    return {"who": who, "tool": tool, "outcome": outcome, "pattern": text,
            "span_type": span_type}


def test_a_pattern_takes_the_proposal_of_its_own_kind_of_failure() -> None:
    soft = pattern("researcher", "web_search", "soft_error", "search quota exceeded")
    assert matching_proposal(soft, PROPOSALS)["id"] == "soft"
    failing = pattern("coder", "run_tests", "error", "AssertionError: expected status <n>")
    assert matching_proposal(failing, PROPOSALS)["id"] == "hot1"
    delegation = pattern("planner → summarizer", "", "error", "upstream overloaded",
                         span_type="delegation")
    assert matching_proposal(delegation, PROPOSALS)["id"] == "deleg"
    timeout = pattern("coder", "lsp", "timeout", "timed out")
    assert matching_proposal(timeout, PROPOSALS)["id"] == "lsp-size"


def test_a_pattern_never_borrows_another_detectors_or_another_errors_advice() -> None:
    # same tool and agent as the soft-failure proposal, but a plain error
    transient = pattern("researcher", "web_search", "error", "transient error #<n>")
    assert matching_proposal(transient, PROPOSALS) is None
    assert "Recurring error" in recommend(transient, PROPOSALS)
    # same tool, a different error than the one the hotspot proposal is about
    other = pattern("coder", "run_tests", "error", "ImportError: no module named x")
    assert matching_proposal(other, PROPOSALS) is None
    # a delegation to summarizer is not a negative-feedback finding
    delegation = pattern("other → summarizer", "", "error", "x", span_type="delegation")
    assert matching_proposal(delegation, PROPOSALS) is None
