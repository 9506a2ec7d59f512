"""The agent model, in two stages (``docs/data-model.md`` is the column contract).

1. **Span normalization**: a view built from ``sql/span_normalization.sql`` reads every span
   inserted into ``otel_traces`` and writes its own facts under every convention into
   ``gapwatch_span_facts``.
2. **Trace assembly** (:func:`assemble_traces`, ``sql/assemble.sql``): settled traces are
   assembled from their facts into ``gapwatch_agent_spans``, the table detectors read: the
   owning agent of every span, one row per agent run, delegations caller → callee.

    from gapwatch.analyzer.model import AGENT_SPANS_TABLE, Outcome, assemble_traces
    assemble_traces(client, "default")
    client.query(f"SELECT count() FROM {AGENT_SPANS_TABLE} WHERE outcome = {{o:String}}",
                 parameters={"o": Outcome.TIMEOUT})
"""

from __future__ import annotations

from enum import StrEnum

from gapwatch.analyzer.model._assembly import AssemblyStats, assemble_traces
from gapwatch.analyzer.model._backfill import rebuild_span_facts
from gapwatch.analyzer.model._sql import model_context, model_query

AGENT_SPANS_TABLE = "gapwatch_agent_spans"
SPAN_FACTS_TABLE = "gapwatch_span_facts"
SPAN_FEED_TABLE = "gapwatch_span_feed"


class SpanType(StrEnum):
    """``span_type``: what a model row is."""

    AGENT = "agent"
    DELEGATION = "delegation"
    TOOL = "tool"
    LLM = "llm"


class Outcome(StrEnum):
    """``outcome``: explicit ``gapwatch.tool.outcome`` or the classification of the span."""

    OK = "ok"
    ERROR = "error"
    SOFT_ERROR = "soft_error"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"


class Source(StrEnum):
    """``source``: the convention family a row was read from."""

    GENAI = "genai"
    OPENINFERENCE = "openinference"
    OPENLLMETRY = "openllmetry"
    MCP = "mcp"
    VERCEL = "vercel"
    NAME = "name"


FAILED_OUTCOMES: frozenset[str] = frozenset(
    {Outcome.ERROR, Outcome.SOFT_ERROR, Outcome.BLOCKED, Outcome.TIMEOUT}
)

__all__ = [
    "AGENT_SPANS_TABLE",
    "FAILED_OUTCOMES",
    "SPAN_FACTS_TABLE",
    "SPAN_FEED_TABLE",
    "AssemblyStats",
    "Outcome",
    "Source",
    "SpanType",
    "assemble_traces",
    "model_context",
    "model_query",
    "rebuild_span_facts",
]
