"""A trace laid out as a waterfall: spans in tree order, indented, with bars on a shared time axis.

    rows = waterfall(read_trace(store, trace_id)["spans"])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

OUTCOME_CLASSES = {"ok": "ok", "error": "error", "soft_error": "soft", "blocked": "blocked",
                   "timeout": "timeout"}


@dataclass(frozen=True)
class WaterfallRow:
    span: dict[str, Any]
    depth: int
    offset_pct: float  # where the bar starts, as a share of the trace's duration
    width_pct: float
    outcome_class: str


def waterfall(spans: list[dict[str, Any]]) -> list[WaterfallRow]:
    """Depth-first from the roots, children by start time; spans whose parent is missing (not
    stored, or cut by the span limit) are shown as roots rather than dropped."""
    if not spans:
        return []
    ids = {span["span_id"] for span in spans}
    children: dict[str, list[dict[str, Any]]] = {}
    roots = []
    for span in spans:  # already oldest first
        parent = span["parent_span_id"]
        if parent and parent in ids and parent != span["span_id"]:
            children.setdefault(parent, []).append(span)
        else:
            roots.append(span)
    start = min(_start(span) for span in spans)
    end = max(_start(span) + span["duration_ms"] / 1000 for span in spans)
    total = max(end - start, 1e-6)
    rows: list[WaterfallRow] = []
    seen: set[str] = set()
    stack = [(root, 0) for root in reversed(roots)]
    while stack:
        span, depth = stack.pop()
        if span["span_id"] in seen:  # a cycle in bad data must not loop forever
            continue
        seen.add(span["span_id"])
        offset = (_start(span) - start) / total * 100
        width = max(span["duration_ms"] / 1000 / total * 100, 0.3)
        rows.append(WaterfallRow(span, depth, round(offset, 2), round(min(width, 100 - offset), 2),
                                 outcome_class(span)))
        stack.extend((child, depth + 1) for child in reversed(children.get(span["span_id"], [])))
    return rows


def outcome_class(span: dict[str, Any]) -> str:
    """The CSS class of a span's bar: the model's outcome, else its OpenTelemetry status."""
    outcome = OUTCOME_CLASSES.get(span.get("outcome") or "")
    if outcome:
        return outcome
    return "error" if span.get("status_code") == "Error" else "ok"


def _start(span: dict[str, Any]) -> float:
    moment = span["start"]
    return moment.timestamp() if isinstance(moment, datetime) else datetime.fromisoformat(
        moment).timestamp()
