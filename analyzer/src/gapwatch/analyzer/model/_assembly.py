"""Trace assembly: the second stage of the model, run over traces whose spans have settled.

    stats = assemble_traces(client, "default", settle=timedelta(seconds=30))
    stats.traces, stats.spans, stats.reassembled

Spans of one trace arrive over minutes and out of order. Each pass takes the traces that
received spans since the last pass and none in the last ``settle`` (still arriving) and whose
span count changed since they were last assembled; it deletes the rows of those it assembled
before and assembles them whole from their span facts, so the result depends only on the spans
stored, never on how they were batched. ``settle=0`` (what an analysis does first) assembles
everything stored; the watermark then stays ``SAFETY_LAG`` behind the clock, so a block whose
insert was still in flight is picked up by the next pass.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.model._sql import model_query

STATE_TABLE = "gapwatch_assembly_state"
# what assembly writes: span rows, and one summary row per run (record_runs.sql)
MODEL_TABLES = ("gapwatch_agent_spans", "gapwatch_agent_runs")
# spans per assembly query: bounds the memory of one pass on a large backlog (a backfill)
SPANS_PER_QUERY = 1_000_000
# how far behind the engine's clock the watermark stays: an insert stamped before ``until`` may
# still be committing when a pass reads the arrivals
SAFETY_LAG = timedelta(seconds=10)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssemblyStats:
    """What one pass did."""

    traces: int
    spans: int
    reassembled: int
    queries: int


def assemble_traces(
    client: Client, database: str, *, settle: timedelta = timedelta(0)
) -> AssemblyStats:
    """Assemble every trace that settled since the last pass; idempotent and deterministic."""
    state = _query(client, "assembly_state", {"database": database})[0]
    now: datetime = state["now"]
    since: datetime = state["since"]
    until = now - settle
    if until <= since:
        return AssemblyStats(0, 0, 0, 0)
    params: dict[str, Any] = {"database": database, "since": since, "until": until}
    client.command(model_query("clear_batch"), parameters=params)
    client.command(model_query("pending_traces"), parameters=params)
    batch = _query(client, "batch_summary", params)[0]
    traces, spans, reassembled = (int(batch["traces"]), int(batch["spans"] or 0),
                                  int(batch["reassembled"]))
    buckets = max(1, math.ceil(spans / SPANS_PER_QUERY)) if traces else 0
    if reassembled:
        for table in MODEL_TABLES:
            client.command(model_query("delete_assembled"), parameters={**params, "table": table})
    for bucket in range(buckets):
        client.command(model_query("assemble"),
                       parameters={**params, "buckets": buckets, "bucket": bucket})
    if traces:
        # runs once the whole batch is assembled: one read of the new rows, not one per bucket
        client.command(model_query("record_runs"), parameters=params)
        client.command(model_query("record_assembled"), parameters={**params, "now": now})
        logger.info("assembled %d traces (%d spans, %d again) in %d queries",
                    traces, spans, reassembled, buckets)
    # stay SAFETY_LAG behind the clock: the next pass looks at those arrivals again, and takes
    # only the traces whose span count changed
    client.insert(STATE_TABLE, [["watermark", max(since, min(until, now - SAFETY_LAG))]],
                  column_names=["name", "watermark"], database=database)
    return AssemblyStats(traces, spans, reassembled, buckets)


def _query(client: Client, name: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    result = client.query(model_query(name), parameters=parameters)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
