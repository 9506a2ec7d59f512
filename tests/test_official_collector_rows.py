"""Spans written by the official OpenTelemetry Collector's ClickHouse exporter are analyzed like
spans written by the gapwatch collector, including the older exporters' status/kind strings.

The same spans go into two databases: once as OTLP through the gapwatch collector's ingest
path, once as the 22-column rows the exporter inserts (``STATUS_CODE_ERROR``,
``SPAN_KIND_INTERNAL``, attribute values stringified). The normalized model must come out
identical.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.analyzer.model import assemble_traces
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import SchemaOptions, connect
from gapwatch.collector.ingest import ingest_request
from gapwatch.collector.writer import ClickHouseSpanWriter

EXPORTER_COLUMNS = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
)
LEGACY_KIND = {1: "SPAN_KIND_INTERNAL", 3: "SPAN_KIND_CLIENT"}
LEGACY_STATUS = {0: "STATUS_CODE_UNSET", 1: "STATUS_CODE_OK", 2: "STATUS_CODE_ERROR"}
SERVICE = "support-bot"


def spans() -> list[dict[str, Any]]:
    """Per trace: an agent run, a failing tool call with a retry, a blocked tool, a delegation."""
    start = time.time_ns() - 3_600 * 10**9
    found: list[dict[str, Any]] = []
    for trace in range(12):
        trace_id = f"{trace + 1:032x}"
        base = start + trace * 10**9
        root = f"{trace * 16 + 1:016x}"
        found.append(
            span(
                trace_id,
                root,
                "",
                "invoke_agent triage",
                1,
                0,
                base,
                {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": "triage",
                    "gen_ai.conversation.id": f"session-{trace % 4}",
                },
            )
        )
        for attempt in (1, 2):
            found.append(
                span(
                    trace_id,
                    f"{trace * 16 + 1 + attempt:016x}",
                    root,
                    "execute_tool search_orders",
                    1,
                    2,
                    base + attempt,
                    {
                        "gen_ai.operation.name": "execute_tool",
                        "gen_ai.tool.name": "search_orders",
                        "gen_ai.agent.name": "triage",
                        "error.type": "TimeoutError",
                        "gapwatch.attempt": attempt,
                    },
                    message=f"timed out after {30 + trace}s on order 4711{trace}",
                )
            )
        found.append(
            span(
                trace_id,
                f"{trace * 16 + 4:016x}",
                root,
                "execute_tool refund",
                1,
                0,
                base + 4,
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "refund",
                    "gen_ai.agent.name": "triage",
                    "gapwatch.tool.outcome": "blocked",
                    "gapwatch.blocked.reason": "needs approval",
                },
            )
        )
        found.append(
            span(
                trace_id,
                f"{trace * 16 + 5:016x}",
                root,
                "invoke_agent billing",
                3,
                2,
                base + 5,
                {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": "billing",
                    "gen_ai.caller.name": "triage",
                },
                message="billing agent failed",
            )
        )
    return found


def span(
    trace_id: str,
    span_id: str,
    parent: str,
    name: str,
    kind: int,
    status: int,
    start: int,
    attributes: dict[str, Any],
    message: str = "",
) -> dict[str, Any]:
    return {
        "trace_id": trace_id,
        "span_id": span_id,
        "parent": parent,
        "name": name,
        "kind": kind,
        "status": status,
        "start": start,
        "duration": 2_500_000,
        "attributes": attributes,
        "message": message,
    }


def as_otlp(rows: list[dict[str, Any]]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    attribute = resource_spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", SERVICE
    scope = resource_spans.scope_spans.add()
    scope.scope.name, scope.scope.version = "agent-sdk", "1.2.0"
    for row in rows:
        otlp = scope.spans.add()
        otlp.trace_id = bytes.fromhex(row["trace_id"])
        otlp.span_id = bytes.fromhex(row["span_id"])
        if row["parent"]:
            otlp.parent_span_id = bytes.fromhex(row["parent"])
        otlp.name, otlp.kind = row["name"], row["kind"]
        otlp.start_time_unix_nano = row["start"]
        otlp.end_time_unix_nano = row["start"] + row["duration"]
        otlp.status.code, otlp.status.message = row["status"], row["message"]
        for key, value in row["attributes"].items():
            item = otlp.attributes.add()
            item.key = key
            if isinstance(value, int):
                item.value.int_value = value
            else:
                item.value.string_value = value
    return request


def as_exporter_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """The rows an older exporter build inserts: proto enum names, values as strings."""
    return [
        [
            row["start"],
            row["trace_id"],
            row["span_id"],
            row["parent"],
            "",
            row["name"],
            LEGACY_KIND[row["kind"]],
            SERVICE,
            {"service.name": SERVICE},
            "agent-sdk",
            "1.2.0",
            {key: str(value) for key, value in row["attributes"].items()},
            row["duration"],
            LEGACY_STATUS[row["status"]],
            row["message"],
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        ]
        for row in rows
    ]


@pytest.fixture
def exporter_client(chdb_admin: Client, chdb_dir: Any) -> Iterator[Client]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    chdb_admin.command(f"CREATE DATABASE `{name}`")
    client = connect(f"chdb://{chdb_dir}?database={name}")
    create_analyzer_schema(client, SchemaOptions(database=name))
    yield client
    chdb_admin.command(f"DROP DATABASE IF EXISTS `{name}` SYNC")


def model(client: Client) -> list[tuple[Any, ...]]:
    """The assembled model rows, whichever writer stored the spans."""
    assemble_traces(client, client.database or "default")
    return client.query("SELECT * FROM gapwatch_agent_spans ORDER BY trace_id, span_id").result_rows


def test_exporter_rows_with_legacy_strings_normalize_like_collector_rows(
    store_url: str, exporter_client: Client
) -> None:
    collector_client = connect(store_url)
    create_analyzer_schema(collector_client, SchemaOptions(database=collector_client.database))
    data = spans()
    result = ingest_request(ClickHouseSpanWriter(collector_client), as_otlp(data))
    assert result.accepted == len(data)
    exporter_client.insert("otel_traces", as_exporter_rows(data), column_names=EXPORTER_COLUMNS)

    stored = exporter_client.query(
        "SELECT countIf(StatusCode = 'STATUS_CODE_ERROR'), countIf(SpanKind = 'SPAN_KIND_INTERNAL')"
        " FROM otel_traces"
    ).result_rows[0]
    assert stored == (36, 48)  # the legacy strings really are what was stored
    from_collector, from_exporter = model(collector_client), model(exporter_client)
    assert len(from_collector) == len(data)
    assert from_exporter == from_collector

    outcomes = dict(
        exporter_client.query(
            "SELECT concat(span_type, ':', agent, ':', tool, ':', outcome), count()"
            " FROM gapwatch_agent_spans GROUP BY 1"
        ).result_rows
    )
    assert (
        outcomes["tool:triage:search_orders:timeout"]
        + outcomes.get("tool:triage:search_orders:error", 0)
        == 24
    )
    assert outcomes["tool:triage:refund:blocked"] == 12
