"""Every string the collector stores is capped, on both insert paths: keys of every attribute
list, names, trace state, scope name and version, status message."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from gapwatch.collector import AttributeLimits
from gapwatch.collector.testing import key_values, make_request, make_span

LIMITS = AttributeLimits(max_value_length=100, max_key_length=20)
LONG = "x" * 5_000


def span_with_every_string_long() -> Span:
    span = make_span(LONG, attributes={"k" * 5_000: "span value"}, status_message=LONG)
    span.trace_state = LONG
    event = span.events.add()
    event.time_unix_nano = span.start_time_unix_nano
    event.name = LONG
    event.attributes.extend(key_values({"e" * 5_000: "event value"}))
    link = span.links.add()
    link.trace_id, link.span_id, link.trace_state = span.trace_id, span.span_id, LONG
    link.attributes.extend(key_values({"l" * 5_000: "link value"}))
    return span


@pytest.mark.parametrize("python_only", [True, False])
def test_every_stored_string_is_capped_with_a_marker(make_server, python_only: bool) -> None:
    server = make_server(limits=LIMITS, clickhouse_parses_otlp=not python_only)
    request = make_request(
        [span_with_every_string_long()],
        resource={"r" * 5_000: "resource value"},
        scope=(LONG, LONG),
    )
    response = httpx.post(
        f"http://127.0.0.1:{server.http_port}/v1/traces",
        content=request.SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
        timeout=30,
    )
    assert response.status_code == 200
    assert server.wait_stored(30)
    ((row),) = server.client.query(
        "SELECT SpanName, TraceState, ScopeName, ScopeVersion, StatusMessage,"
        " Events.Name[1], Links.TraceState[1], mapKeys(ResourceAttributes),"
        " mapKeys(SpanAttributes), mapKeys(Events.Attributes[1]), mapKeys(Links.Attributes[1])"
        " FROM otel_traces"
    ).result_rows
    *texts, resource_keys, span_keys, event_keys, link_keys = row
    assert texts == ["x" * 99 + "…"] * 7
    assert "r" * 19 + "…" in resource_keys and "service.name" in resource_keys
    assert span_keys == ["k" * 19 + "…"]
    assert event_keys == ["e" * 19 + "…"]
    assert link_keys == ["l" * 19 + "…"]
    metrics = httpx.get(f"http://127.0.0.1:{server.http_port}/metrics", timeout=10).text
    # seven texts and four keys cut (the SQL path hands such a block to Python, which counts)
    assert "gapwatch_collector_truncated_values_total 11.0" in metrics


def test_the_default_key_cap_bounds_a_huge_key(make_server) -> None:
    server = make_server()
    span = make_span("huge key", attributes={"k" * 2**20: "v"})
    response = httpx.post(
        f"http://127.0.0.1:{server.http_port}/v1/traces",
        content=make_request([span]).SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
        timeout=30,
    )
    assert response.status_code == 200
    assert server.wait_stored(30)
    ((length,),) = server.client.query(
        "SELECT max(length(k)) FROM otel_traces ARRAY JOIN mapKeys(SpanAttributes) AS k"
    ).result_rows
    assert length == AttributeLimits().max_key_length + len("…".encode()) - 1
