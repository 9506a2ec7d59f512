"""``ttl_days = 0`` keeps the model forever; it must not expire everything at the next merge."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.model import assemble_traces
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import SchemaOptions, ingest_request
from gapwatch.collector.testing import make_request, make_span
from gapwatch.collector.writer import ClickHouseSpanWriter

TABLES = ("otel_traces", "gapwatch_agent_spans", "gapwatch_span_facts", "gapwatch_trace_arrivals")


@pytest.mark.parametrize("ttl_days", [0, 30])
def test_recent_rows_survive_a_ttl_merge_when_ttl_days_is(ttl_days: int, database: str,
                                                          chdb_dir: object) -> None:
    from gapwatch.collector import connect

    client: Client = connect(f"chdb://{chdb_dir}?database={database}")
    create_analyzer_schema(client, SchemaOptions(database=database, ttl_days=ttl_days))
    span = make_span(
        "execute_tool grep",
        attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "grep",
                    "gen_ai.agent.name": "coder"},
    )
    ingest_request(ClickHouseSpanWriter(client), make_request([span]))
    assemble_traces(client, database)
    for table in TABLES:
        client.command(f"OPTIMIZE TABLE {table} FINAL")  # applies TTL now
        assert client.query(f"SELECT count() FROM {table}").result_rows == [(1,)], table
