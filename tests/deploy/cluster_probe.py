"""Run the cluster layout on chDB with a one-shard cluster, in a process of its own.

chDB has no Keeper, so ``ON CLUSTER`` and Replicated engines cannot run here: the probe removes
exactly those two things from ``render_cluster_ddl``'s output and runs the rest (local database,
materialized views, Distributed fronts) on a cluster whose only shard is this process. It then
writes spans through the front ``otel_traces`` with the collector's own writer and reports, as
JSON on stdout, what the local tables and the fronts hold.

    python cluster_probe.py DATA_DIR CONFIG_XML
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any

import clickhouse_connect
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.analyzer.cluster import ClusterLayout, render_cluster_ddl
from gapwatch.analyzer.model import assemble_traces
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import SchemaOptions
from gapwatch.collector.ingest import ingest_request
from gapwatch.collector.writer import ClickHouseSpanWriter

CLUSTER = "gw"
_REPLICATED = re.compile(r"Replicated(\w*MergeTree)\((?:'[^']*',\s*'[^']*'(?:,\s*)?)?")


def single_node(statement: str) -> str:
    """The statement without ``ON CLUSTER`` and with the Replicated engine's keeper arguments."""
    statement = statement.replace(f" ON CLUSTER `{CLUSTER}`", "")
    return _REPLICATED.sub(r"\1(", statement)


def spans_request(traces: int) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    attribute = resource_spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", "probe"
    scope_spans = resource_spans.scope_spans.add()
    base = time.time_ns() - 3_600_000_000_000
    for trace in range(traces):
        for index in range(3):
            span = scope_spans.spans.add()
            span.trace_id = (trace + 1).to_bytes(16, "big")
            span.span_id = (trace * 10 + index + 1).to_bytes(8, "big")
            span.name = "execute_tool probe_tool" if index else "invoke_agent prober"
            span.start_time_unix_nano = base + trace * 1_000_000_000 + index
            span.end_time_unix_nano = span.start_time_unix_nano + 1_000_000
            span.status.code = 2 if index == 2 else 1
    return request


def main(data_dir: str, config: str) -> dict[str, Any]:
    client = clickhouse_connect.get_client(
        dsn=f"chdb://{data_dir}", chdb_options={"config-file": config}
    )
    layout = ClusterLayout(CLUSTER, "svc", ttl_days=30)
    statements = [single_node(sql) for sql in render_cluster_ddl(layout, client.server_version)]
    for statement in statements:
        client.command(statement)
    # what init-db does after the DDL: the runner records the migrations in the shared table
    # (run without the cluster name, which only adds ON CLUSTER and Replicated engines)
    create_analyzer_schema(client, SchemaOptions("svc_local", 30))
    client.database = "svc"
    # a service starting against the service database must find nothing left to do
    service_applied = create_analyzer_schema(client, SchemaOptions("svc"))
    ingest_request(ClickHouseSpanWriter(client), spans_request(traces=20))
    # traces stay on one shard: assembly runs on each shard's local tables
    assemble_traces(client, "svc_local")

    def scalar(sql: str) -> Any:
        return client.query(sql).result_rows[0][0]

    return {
        "statements": len(statements),
        "service_applied": service_applied,
        "front_spans": scalar("SELECT count() FROM svc.otel_traces"),
        "local_spans": scalar("SELECT count() FROM svc_local.otel_traces"),
        "front_errors": scalar(
            "SELECT countIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR')) FROM svc.otel_traces"
        ),
        "local_trace_ids": scalar(
            "SELECT uniqExact(TraceId) FROM svc_local.otel_traces_trace_id_ts"
        ),
        "front_trace_ids": scalar("SELECT uniqExact(TraceId) FROM svc.otel_traces_trace_id_ts"),
        "front_model": client.query(
            "SELECT span_type, outcome, count() FROM svc.gapwatch_agent_spans"
            " GROUP BY ALL ORDER BY ALL"
        ).result_rows,
        "local_model": client.query(
            "SELECT span_type, outcome, count() FROM svc_local.gapwatch_agent_spans"
            " GROUP BY ALL ORDER BY ALL"
        ).result_rows,
        "engines": dict(
            client.query(
                "SELECT name, engine FROM system.tables WHERE database = 'svc' ORDER BY name"
            ).result_rows
        ),
        "local_engines": dict(
            client.query(
                "SELECT name, engine FROM system.tables WHERE database = 'svc_local' ORDER BY name"
            ).result_rows
        ),
        "migrations_via_front": sorted(
            {
                f"{component}/{version}"
                for component, version in client.query(
                    "SELECT component, version FROM svc.gapwatch_schema_migrations FINAL"
                ).result_rows
            }
        ),
    }


if __name__ == "__main__":
    json.dump(main(sys.argv[1], sys.argv[2]), sys.stdout, default=str)
