"""How much an analysis saw, and whether that was enough for any detector to speak.

    traffic = measure_traffic(context)
    traffic.note  # "" when there was enough, else why the analysis could say nothing

Every detector needs a minimum support before it reports (``config.py``, ``docs/detectors.md``);
below :class:`~gapwatch.analyzer.detectors.config.TrafficThresholds` none of them can clear it,
so "no proposals" would mean "not enough data", not "no gaps". The analysis result says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gapwatch.analyzer.detectors._sql import run_query, thresholds_for, window_parameters
from gapwatch.analyzer.detectors.base import DetectionContext
from gapwatch.analyzer.detectors.config import TrafficThresholds

QUERY = "traffic"


@dataclass(frozen=True)
class Traffic:
    """Counts over the analysed window, and the verdict on them."""

    spans: int = 0
    traces: int = 0
    sessions: int = 0
    agent_runs: int = 0
    user_runs: int = 0
    tool_calls: int = 0
    model_calls: int = 0
    delegations: int = 0
    enough: bool = True
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_traffic(context: DetectionContext) -> Traffic:
    """The window's traffic, with a note when it is too little for any detector."""
    row = run_query(context, QUERY, window_parameters(context)).rows[0]
    counts = {name: int(row[name]) for name in (
        "spans", "traces", "sessions", "agent_runs", "user_runs", "tool_calls", "model_calls",
        "delegations")}
    limits = thresholds_for(context, QUERY, TrafficThresholds())
    note = ""
    if counts["spans"] == 0:
        note = (f"no agent spans in the last {context.window}: nothing to analyse. Are agents "
                "sending traces to the collector?")
    elif counts["traces"] < limits.min_traces or counts["agent_runs"] < limits.min_agent_runs:
        note = (f"too little data to say anything: {counts['traces']} traces and "
                f"{counts['agent_runs']} agent runs in the last {context.window}; the detectors "
                f"need at least {limits.min_traces} traces and {limits.min_agent_runs} agent "
                "runs before any of them can report a gap (docs/detectors.md). No proposals "
                "does not mean no gaps yet.")
    return Traffic(**counts, enough=not note, note=note)
