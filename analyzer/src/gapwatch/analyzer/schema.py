"""Create gapwatch's own tables (normalized model, rollups, proposals) after the span tables.

    create_analyzer_schema(client, SchemaOptions(database="default", ttl_days=30))

Analyzer migrations live in ``sql/migrations``: 0001–0009 the normalized model and rollups,
0010–0019 proposals and analysis runs, 0020+ whatever comes next. ``${ttl_days}`` is available
to every file besides the collector's placeholders, and so is each model query by name
(``${span_normalization}``): migrations build views from the one copy in ``model/sql``.
"""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.model import model_context
from gapwatch.collector.migrations import apply_migrations
from gapwatch.collector.schema import SchemaOptions, create_schema, render_context

COMPONENT = "analyzer"


def create_analyzer_schema(client: Client, options: SchemaOptions) -> list[str]:
    """Create ``otel_traces`` (if missing) and every analyzer table; idempotent."""
    applied = create_schema(client, options)
    context = render_context(options, client.server_version or "")
    context["ttl_days"] = str(int(options.ttl_days))
    context["replicated"] = "Replicated" if options.cluster else ""
    context.update(model_context(context["database"]))
    applied += apply_migrations(client, COMPONENT, "gapwatch.analyzer", context)
    return applied
