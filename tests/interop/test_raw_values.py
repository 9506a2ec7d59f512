"""OTLP values no SDK produces, built with the protobuf classes and posted over plain HTTP.

SDKs never send ``SPAN_KIND_UNSPECIFIED``, an empty ``AnyValue``, nested arrays or an all-zero
parent id, but other producers (collectors, bridges, replays) do; the stored strings must still
be what the upstream exporter writes (pdata ``Value.AsString``).
"""

from __future__ import annotations

import time

import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from gapwatch.collector.server import CollectorServer

TRACE_ID = bytes.fromhex("5eed0000000000000000000000000001")
SPAN_ID = bytes.fromhex("5eed000000000001")


def _v(value: object) -> AnyValue:
    if value is None:
        return AnyValue()
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=_kvs(value)))
    assert isinstance(value, list)
    return AnyValue(array_value=ArrayValue(values=[_v(item) for item in value]))


def _kvs(attributes: dict[str, object]) -> list[KeyValue]:
    return [KeyValue(key=key, value=_v(value)) for key, value in attributes.items()]


def _post(collector: CollectorServer, attributes: dict[str, object], **span_fields: object) -> None:
    start = (time.time_ns() // 1_000_000_000 - 60) * 1_000_000_000 + 7
    span = Span(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        name="raw values",
        start_time_unix_nano=start,
        end_time_unix_nano=start + 5,
        attributes=_kvs(attributes),
        **span_fields,  # type: ignore[arg-type]
    )
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])]
    )
    session = requests.Session()
    session.trust_env = False
    response = session.post(
        f"http://127.0.0.1:{collector.http_port}/v1/traces",
        data=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        timeout=10,
    )
    assert response.status_code == 200, response.content
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert not answer.HasField("partial_success"), answer
    assert collector.wait_stored(20)


def _stored(collector: CollectorServer, columns: str) -> tuple[object, ...]:
    rows = collector.client.query(f"SELECT {columns} FROM otel_traces").result_rows
    assert len(rows) == 1, rows
    return tuple(rows[0])


def test_values_only_raw_producers_send(collector: CollectorServer) -> None:
    attributes: dict[str, object] = {
        "raw.empty": None,
        "raw.bytes": b"\x00\xffbin",
        "raw.nested": [[1, "a"], {"b": b"\x01", "k": None}, [], True],
        "raw.mixed": ["s", 1, 0.5, False, None],
        "raw.kvlist": {"inner": {"list": [1, 2]}, "x": "y"},
        "raw.double.big": 1e21,
        "raw.double.tiny": 1e-7,
        "raw.double.plain": 123456.789,
    }
    _post(collector, attributes, parent_span_id=bytes(8), trace_state="k=v")
    kind, parent, service, scope, version, state, stored = _stored(
        collector,
        "SpanKind, ParentSpanId, ServiceName, ScopeName, ScopeVersion, TraceState, SpanAttributes",
    )
    assert (kind, parent, service, scope, version, state) == ("Unspecified", "", "", "", "", "k=v")
    assert stored == {
        "raw.empty": "",
        "raw.bytes": "AP9iaW4=",
        "raw.nested": '[[1,"a"],{"b":"AQ==","k":null},[],true]',
        "raw.mixed": '["s",1,0.5,false,null]',
        "raw.kvlist": '{"inner":{"list":[1,2]},"x":"y"}',
        "raw.double.big": "1e+21",
        "raw.double.tiny": "1e-7",
        "raw.double.plain": "123456.789",
    }


def test_doubles_inside_arrays_and_maps_use_go_json_form(collector: CollectorServer) -> None:
    _post(collector, {"raw.doubles": [2.0, 1.5e-7, 1e21, -0.0], "raw.map": {"t": 1.0}})
    (stored,) = _stored(collector, "SpanAttributes")
    assert stored == {"raw.doubles": "[2,1.5e-7,1e+21,-0]", "raw.map": '{"t":1}'}
