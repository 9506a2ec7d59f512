"""Answers stay small: pages shrink to the budget, long texts are clipped, notes say so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from gapwatch.analyzer.mcp_server.budget import (
    CLIP_MARK,
    MAX_ANSWER_CHARS,
    clip,
    clip_values,
    fit_rows,
    size,
)
from gapwatch.analyzer.mcp_server.traces import FAILURES_SHOWN, summarize_trace


class Rows(BaseModel):
    rows: list[str]


def test_clip_keeps_short_text_and_marks_cut_text() -> None:
    assert clip("short", 10) == "short"
    cut = clip("x" * 50, 20)
    assert len(cut) == 20 and cut.endswith(CLIP_MARK)
    assert clip_values({"a": ["y" * 30, 3], "b": None}, 15) == {
        "a": [clip("y" * 30, 15), 3], "b": None}


def test_fit_rows_keeps_the_most_rows_that_fit() -> None:
    rows = ["r" * 1000] * 40
    answer, shown = fit_rows(lambda n: Rows(rows=rows[:n]), len(rows))
    assert size(answer) <= MAX_ANSWER_CHARS < size(Rows(rows=rows[:shown + 1]))
    assert answer.rows == rows[:shown]


def test_fit_rows_returns_everything_that_already_fits() -> None:
    answer, shown = fit_rows(lambda n: Rows(rows=["a", "b", "c"][:n]), 3)
    assert (answer.rows, shown) == (["a", "b", "c"], 3)


def test_fit_rows_keeps_one_row_even_when_it_alone_is_too_big() -> None:
    rows = ["z" * (MAX_ANSWER_CHARS * 2)] * 3
    answer, shown = fit_rows(lambda n: Rows(rows=rows[:n]), len(rows))
    assert shown == 1  # paging must move forward


def _span(start: datetime, *, kind: str, agent: str, tool: str = "", outcome: str = "ok",
          message: str = "", parent: str = "p") -> dict[str, Any]:
    return {"span_id": f"{start.timestamp()}", "parent_span_id": parent, "name": kind,
            "service": "svc", "start": start.isoformat(), "duration_ms": 10.0,
            "status_code": "Error" if outcome != "ok" else "Ok", "status_message": message,
            "kind": kind, "agent": agent, "tool": tool, "target_agent": "", "outcome": outcome,
            "error_type": "Boom" if outcome != "ok" else "", "attributes": {}}


def test_a_trace_summary_counts_agents_and_tools_and_orders_failures() -> None:
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    spans = [  # given out of order: the summary sorts by start
        _span(t0 + timedelta(seconds=2), kind="tool", agent="coder", tool="run_tests",
              outcome="timeout", message="timed out after 30 s"),
        _span(t0, kind="agent", agent="coder", parent=""),
        _span(t0 + timedelta(seconds=1), kind="tool", agent="coder", tool="run_tests",
              outcome="error", message="exit 1"),
        _span(t0 + timedelta(seconds=3), kind="tool", agent="coder", tool="read_file"),
    ]
    summary = summarize_trace({"trace_id": "a" * 32, "spans": spans, "truncated": False})
    assert summary.spans == 4 and summary.duration_ms == 3010.0
    assert [(a.agent, a.runs, a.failures) for a in summary.agents] == [("coder", 1, 0)]
    assert [(t.tool, t.calls, t.failures) for t in summary.tools] == [
        ("run_tests", 2, 2), ("read_file", 1, 0)]
    assert [(f.at_ms, f.outcome, f.message) for f in summary.failures] == [
        (1000.0, "error", "exit 1"), (2000.0, "timeout", "timed out after 30 s")]
    assert summary.note == ""


def test_a_trace_with_many_long_failures_is_cut_with_a_note() -> None:
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    spans = [_span(t0 + timedelta(milliseconds=i), kind="tool", agent="a", tool="t",
                   outcome="error", message="m" * 5000) for i in range(200)]
    summary = summarize_trace({"trace_id": "b" * 32, "spans": spans, "truncated": True})
    assert size(summary) <= MAX_ANSWER_CHARS
    assert summary.failures_total == 200 and len(summary.failures) <= FAILURES_SHOWN
    assert all(len(f.message) <= 300 for f in summary.failures)
    assert "of 200 failures shown" in summary.note and "more than 200 spans" in summary.note


def test_a_trace_with_hundreds_of_agents_and_tools_stays_within_the_budget() -> None:
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    spans = [_span(t0 + timedelta(milliseconds=i), kind="tool", agent=f"agent-{i}-" + "n" * 150,
                   tool=f"tool-{i}-" + "t" * 150) for i in range(300)]
    summary = summarize_trace({"trace_id": "c" * 32, "spans": spans, "truncated": False})
    assert size(summary) <= MAX_ANSWER_CHARS
    assert "of 300 agents shown" in summary.note and "of 300 tool and agent pairs" in summary.note
