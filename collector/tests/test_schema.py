from __future__ import annotations

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.collector import ConfigurationError, SchemaOptions, create_schema
from gapwatch.collector.schema import render_context

EXPORTER_COLUMNS = [
    ("Timestamp", "DateTime64(9)"),
    ("TraceId", "String"),
    ("SpanId", "String"),
    ("ParentSpanId", "String"),
    ("TraceState", "String"),
    ("SpanName", "LowCardinality(String)"),
    ("SpanKind", "LowCardinality(String)"),
    ("ServiceName", "LowCardinality(String)"),
    ("ResourceAttributes", "Map(LowCardinality(String), String)"),
    ("ScopeName", "String"),
    ("ScopeVersion", "String"),
    ("SpanAttributes", "Map(LowCardinality(String), String)"),
    ("Duration", "UInt64"),
    ("StatusCode", "LowCardinality(String)"),
    ("StatusMessage", "String"),
    ("Events.Timestamp", "Array(DateTime64(9))"),
    ("Events.Name", "Array(LowCardinality(String))"),
    ("Events.Attributes", "Array(Map(LowCardinality(String), String))"),
    ("Links.TraceId", "Array(String)"),
    ("Links.SpanId", "Array(String)"),
    ("Links.TraceState", "Array(String)"),
    ("Links.Attributes", "Array(Map(LowCardinality(String), String))"),
]


def test_otel_traces_has_the_exporter_columns_in_order(ch_client: Client) -> None:
    rows = ch_client.query(
        "SELECT name, type, default_kind FROM system.columns"
        " WHERE database = {db:String} AND table = 'otel_traces' ORDER BY position",
        parameters={"db": ch_client.database},
    ).result_rows
    stored = [(name, type_) for name, type_, kind in rows if kind != "ALIAS"]
    aliases = [name for name, _, kind in rows if kind == "ALIAS"]
    assert stored == EXPORTER_COLUMNS
    assert aliases == ["ResourceAttributeItems", "SpanAttributeItems"]


def test_otel_traces_keys_partition_ttl_and_indexes_match_upstream(ch_client: Client) -> None:
    sorting_key, primary_key, partition_key, create = ch_client.query(
        "SELECT sorting_key, primary_key, partition_key, create_table_query FROM system.tables"
        " WHERE database = {db:String} AND name = 'otel_traces'",
        parameters={"db": ch_client.database},
    ).result_rows[0]
    assert sorting_key == "ServiceName, SpanName, toDateTime(Timestamp), Timestamp"
    assert primary_key == "ServiceName, SpanName, toDateTime(Timestamp)"
    assert partition_key == "toDate(Timestamp)"
    assert "TTL toDateTime(Timestamp) + toIntervalDay(30)" in create
    assert "index_granularity = 8192, ttl_only_drop_parts = 1" in create
    assert "CODEC(Delta(8), ZSTD(1))" in create and "CODEC(T64, ZSTD(1))" in create
    indexes = dict(
        ch_client.query(
            "SELECT name, type_full FROM system.data_skipping_indices"
            " WHERE database = {db:String} AND table = 'otel_traces'",
            parameters={"db": ch_client.database},
        ).result_rows
    )
    # chDB ships a ClickHouse >= 26.2, so the exporter would pick the text-index variant
    assert set(indexes) == {
        "idx_trace_id",
        "idx_res_attr_key",
        "idx_res_attr_items",
        "idx_span_attr_key",
        "idx_span_attr_items",
        "idx_duration",
        "idx_lower_span_name",
    }
    assert indexes["idx_lower_span_name"] == "tokenbf_v1(32768, 3, 0)"


def test_trace_id_lookup_table_and_view_exist(ch_client: Client) -> None:
    tables = dict(
        ch_client.query(
            "SELECT name, engine FROM system.tables WHERE database = {db:String}",
            parameters={"db": ch_client.database},
        ).result_rows
    )
    assert tables["otel_traces_trace_id_ts"] == "AggregatingMergeTree"
    assert tables["otel_traces_trace_id_ts_mv"] == "MaterializedView"


def test_create_schema_is_idempotent_and_versioned(ch_client: Client) -> None:
    assert create_schema(ch_client, SchemaOptions(database=ch_client.database)) == []
    versions = ch_client.query(
        "SELECT version FROM gapwatch_schema_migrations FINAL WHERE component = 'collector'"
        " ORDER BY version"
    ).result_rows
    assert [v for (v,) in versions] == [1, 2, 3, 4]


def test_cluster_rendering_uses_on_cluster_and_replicated_engines() -> None:
    context = render_context(SchemaOptions(database="otel", cluster="prod"), "24.8.1")
    assert context["on_cluster"] == "ON CLUSTER `prod`"
    assert context["traces_engine"] == "ReplicatedMergeTree()"
    assert context["trace_id_ts_engine"] == "ReplicatedAggregatingMergeTree()"
    assert "bloom_filter(0.001)" in context["traces_indexes"]  # older server: bloom variant


def test_ttl_zero_means_no_ttl_clause() -> None:
    assert render_context(SchemaOptions(ttl_days=0), "26.9")["traces_ttl"] == ""


@pytest.mark.parametrize("bad", ["a-b", "x; DROP TABLE y", "", "1abc"])
def test_identifiers_outside_the_allowlist_are_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        SchemaOptions(database=bad)
