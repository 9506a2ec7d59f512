"""Create the upstream ``otel_traces`` schema, idempotently and versioned.

    create_schema(client, SchemaOptions(database="otel", ttl_days=30))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from gapwatch.collector.errors import ConfigurationError
from gapwatch.collector.migrations import apply_migrations
from gapwatch.collector.storage import validate_identifier

COMPONENT = "collector"
TEXT_INDEX_MIN_VERSION = (26, 2)  # the exporter's threshold for text() skip indexes

_TEXT_INDEXES = """\
    INDEX idx_trace_id TraceId TYPE text(tokenizer = 'array') GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE text(tokenizer = 'array') GRANULARITY 1,
    INDEX idx_res_attr_items ResourceAttributeItems TYPE text(tokenizer = 'array') GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE text(tokenizer = 'array') GRANULARITY 1,
    INDEX idx_span_attr_items SpanAttributeItems TYPE text(tokenizer = 'array') GRANULARITY 1,
"""
_BLOOM_INDEXES = """\
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
"""
_COMMON_INDEXES = """\
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8"""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchemaOptions:
    """How to create the span tables.

    ``cluster`` adds ``ON CLUSTER`` to every statement and switches to Replicated engines.
    ``ttl_days`` 0 keeps spans forever (the exporter's default); gapwatch's default is 30.
    """

    database: str = "default"
    ttl_days: int = 30
    cluster: str = ""

    def __post_init__(self) -> None:
        validate_identifier(self.database)
        if self.cluster:
            validate_identifier(self.cluster)
        if self.ttl_days < 0:
            raise ConfigurationError("ttl_days must be 0 (no TTL) or positive")

    @property
    def on_cluster(self) -> str:
        return f"ON CLUSTER `{self.cluster}`" if self.cluster else ""


def render_context(options: SchemaOptions, server_version: str) -> dict[str, str]:
    """The values substituted into the collector's migration files."""
    replicated = bool(options.cluster)
    indexes = _TEXT_INDEXES if supports_text_index(server_version) else _BLOOM_INDEXES
    return {
        "database": options.database,
        "on_cluster": options.on_cluster,
        "traces_engine": "ReplicatedMergeTree()" if replicated else "MergeTree()",
        "trace_id_ts_engine": (
            "ReplicatedAggregatingMergeTree()" if replicated else "AggregatingMergeTree()"
        ),
        "traces_indexes": indexes + _COMMON_INDEXES,
        "traces_ttl": _ttl("toDateTime(Timestamp)", options.ttl_days),
        "trace_id_ts_ttl": _ttl("toDateTime(Start)", options.ttl_days),
        "migrations_engine": (
            "ReplicatedReplacingMergeTree()" if replicated else "ReplacingMergeTree()"
        ),
    }


def create_schema(client: Client, options: SchemaOptions) -> list[str]:
    """Create or upgrade the span tables; returns the migrations applied now."""
    context = render_context(options, client.server_version or "")
    skip = frozenset({"otel_traces_dedup_window"}) if options.cluster else frozenset()
    return apply_migrations(client, COMPONENT, "gapwatch.collector", context, skip=skip)


def supports_text_index(server_version: str) -> bool:
    try:
        major, minor = (int(part) for part in server_version.split(".")[:2])
    except ValueError:
        return False  # unknown version: fall back like the exporter does
    return (major, minor) >= TEXT_INDEX_MIN_VERSION


def _ttl(expression: str, days: int) -> str:
    return f"TTL {expression} + toIntervalDay({int(days)})" if days > 0 else ""
