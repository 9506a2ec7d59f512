"""Laying a trace out as a waterfall: tree order, depth, bar geometry, damaged traces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gapwatch.analyzer.ui.waterfall import outcome_class, waterfall

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def span(span_id: str, parent: str, start_s: float, duration_s: float,
         outcome: str = "ok", status: str = "Unset") -> dict[str, Any]:
    return {"span_id": span_id, "parent_span_id": parent, "start": T0 + timedelta(seconds=start_s),
            "duration_ms": duration_s * 1000, "outcome": outcome, "status_code": status}


def test_children_follow_their_parent_in_start_order_with_depth() -> None:
    spans = [span("root", "", 0, 10), span("b", "root", 1, 2), span("c", "root", 5, 5),
             span("b1", "b", 1.5, 1, outcome="timeout")]
    rows = waterfall(spans)
    assert [(r.span["span_id"], r.depth) for r in rows] == [
        ("root", 0), ("b", 1), ("b1", 2), ("c", 1)]
    root, b, b1, c = rows
    assert (root.offset_pct, root.width_pct) == (0.0, 100.0)
    assert (c.offset_pct, c.width_pct) == (50.0, 50.0)
    assert b1.outcome_class == "timeout"


def test_orphans_are_roots_and_cycles_end() -> None:
    spans = [span("a", "missing", 0, 1), span("x", "y", 1, 1), span("y", "x", 1, 1)]
    rows = waterfall(spans)
    # a span whose parent was not stored is still shown; a parent cycle is not followed forever
    assert [r.span["span_id"] for r in rows] == ["a"]
    assert waterfall([]) == []
    assert [r.span["span_id"] for r in waterfall([span("s", "s", 0, 1)])] == ["s"]


def test_tiny_spans_stay_visible_and_inside_the_track() -> None:
    rows = waterfall([span("root", "", 0, 100), span("t", "root", 99.99, 0.0001)])
    assert rows[1].width_pct >= 0.01 and rows[1].offset_pct + rows[1].width_pct <= 100


def test_outcome_falls_back_to_the_span_status() -> None:
    assert outcome_class({"outcome": "", "status_code": "Error"}) == "error"
    assert outcome_class({"outcome": "", "status_code": "Unset"}) == "ok"
    assert outcome_class({"outcome": "soft_error", "status_code": "Ok"}) == "soft"
