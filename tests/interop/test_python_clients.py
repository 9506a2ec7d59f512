"""Python OTLP clients → collector on loopback → otel_traces, compared field by field.

The spans are recorded by the real OpenTelemetry Python SDK and shipped by the real
``opentelemetry-exporter-otlp-proto-http`` / ``-proto-grpc`` exporters, plus an OTLP/JSON
encoding of the same SDK spans (see ``otlp_json_client.py``).
"""

from __future__ import annotations

import requests
from interop_scenario import Capabilities, assert_round_trip, build_scenario, wire_spec
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk.trace.export import SpanExportResult
from otlp_json_client import encode_request, post_json
from python_sdk_spans import record_spans

from gapwatch.collector.server import CollectorServer

# the SDK cannot hold maps or bytes as attribute values; its protobuf encoder drops link trace
# state (opentelemetry-exporter-otlp-proto-common 1.45 ``_encode_links``)
PYTHON_PROTO = Capabilities(kvlist=False, bytes_values=False, link_trace_state=False)
PYTHON_JSON = Capabilities(kvlist=False, bytes_values=False, link_trace_state=True)
STORE_TIMEOUT_S = 20


def _no_proxy_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only, whatever the environment's proxy says
    return session


def test_otlp_http_protobuf_round_trip(collector: CollectorServer) -> None:
    scenario = build_scenario("py-http-proto", PYTHON_PROTO, salt=0x1001)
    exporter = HttpSpanExporter(
        endpoint=f"http://127.0.0.1:{collector.http_port}/v1/traces",
        timeout=10,
        session=_no_proxy_session(),
    )
    try:
        assert exporter.export(record_spans(wire_spec(scenario))) is SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
    assert collector.wait_stored(STORE_TIMEOUT_S)
    assert_round_trip(collector.client, scenario)


def test_otlp_http_protobuf_gzip_round_trip(collector: CollectorServer) -> None:
    scenario = build_scenario("py-http-gzip", PYTHON_PROTO, salt=0x1002)
    exporter = HttpSpanExporter(
        endpoint=f"http://127.0.0.1:{collector.http_port}/v1/traces",
        timeout=10,
        compression=Compression.Gzip,
        session=_no_proxy_session(),
    )
    try:
        assert exporter.export(record_spans(wire_spec(scenario))) is SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
    assert collector.wait_stored(STORE_TIMEOUT_S)
    assert_round_trip(collector.client, scenario)


def test_otlp_grpc_round_trip(collector: CollectorServer) -> None:
    scenario = build_scenario("py-grpc", PYTHON_PROTO, salt=0x1003)
    exporter = GrpcSpanExporter(
        endpoint=f"127.0.0.1:{collector.grpc_port}",
        insecure=True,
        timeout=10,
        # never route loopback through a proxy from the environment
        channel_options=(("grpc.enable_http_proxy", 0),),
    )
    try:
        assert exporter.export(record_spans(wire_spec(scenario))) is SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()
    assert collector.wait_stored(STORE_TIMEOUT_S)
    assert_round_trip(collector.client, scenario)


def test_otlp_http_json_round_trip(collector: CollectorServer) -> None:
    scenario = build_scenario("py-http-json", PYTHON_JSON, salt=0x1004)
    document = encode_request(record_spans(wire_spec(scenario)))
    status, response = post_json(f"http://127.0.0.1:{collector.http_port}/v1/traces", document)
    assert status == 200
    assert not response.get("partialSuccess"), response
    assert collector.wait_stored(STORE_TIMEOUT_S)
    assert_round_trip(collector.client, scenario)


def test_otlp_http_json_gzip_with_uppercase_ids(collector: CollectorServer) -> None:
    """OTLP JSON ids are case-insensitive hex; ClickHouse must hold them lowercase."""
    scenario = build_scenario("py-http-json-upper", PYTHON_JSON, salt=0xABCD)
    document = encode_request(record_spans(wire_spec(scenario)))
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = span[key].upper()
                for link in span["links"]:
                    link["traceId"] = link["traceId"].upper()
                    link["spanId"] = link["spanId"].upper()
    status, response = post_json(
        f"http://127.0.0.1:{collector.http_port}/v1/traces", document, gzip_body=True
    )
    assert status == 200
    assert not response.get("partialSuccess"), response
    assert collector.wait_stored(STORE_TIMEOUT_S)
    assert_round_trip(collector.client, scenario)
