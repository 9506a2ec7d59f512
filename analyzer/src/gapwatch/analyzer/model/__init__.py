"""The normalized agent-span model: table names and the values its columns take.

The model is built in ClickHouse by the analyzer's migrations 0001–0003
(``sql/migrations``): a view normalizes every span inserted into ``otel_traces`` into
``gapwatch_agent_spans`` and rolls it up into ``gapwatch_hourly``. ``docs/data-model.md`` is the
column contract.

    from gapwatch.analyzer.model import AGENT_SPANS_TABLE, Outcome
    client.query(f"SELECT count() FROM {AGENT_SPANS_TABLE} WHERE outcome = {{o:String}}",
                 parameters={"o": Outcome.TIMEOUT})
"""

from __future__ import annotations

from enum import StrEnum

from gapwatch.analyzer.model._backfill import rebuild_agent_spans

AGENT_SPANS_TABLE = "gapwatch_agent_spans"
HOURLY_TABLE = "gapwatch_hourly"
SPAN_FEED_TABLE = "gapwatch_span_feed"


class SpanType(StrEnum):
    """``span_type``: what a normalized row is."""

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
    NAME = "name"


FAILED_OUTCOMES: frozenset[str] = frozenset(
    {Outcome.ERROR, Outcome.SOFT_ERROR, Outcome.BLOCKED, Outcome.TIMEOUT}
)

__all__ = [
    "AGENT_SPANS_TABLE",
    "FAILED_OUTCOMES",
    "HOURLY_TABLE",
    "Outcome",
    "SPAN_FEED_TABLE",
    "Source",
    "SpanType",
    "rebuild_agent_spans",
]
