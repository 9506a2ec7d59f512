from __future__ import annotations

import gzip
import json
import os
import time
import zlib

import httpx
import pytest
import zstandard
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from gapwatch.collector import CollectorServer
from gapwatch.collector.testing import make_request, make_span

PROTOBUF = {"content-type": "application/x-protobuf"}


def post(server: CollectorServer, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"http://127.0.0.1:{server.http_port}/v1/traces", content=body, headers=headers, timeout=30
    )


def stored_names(server: CollectorServer) -> list[str]:
    assert server.wait_stored(20)
    rows = server.client.query("SELECT SpanName FROM otel_traces ORDER BY SpanName").result_rows
    return [name for (name,) in rows]


def test_protobuf_request_is_stored_and_answered_with_empty_success(server) -> None:
    body = make_request([make_span("a"), make_span("b")]).SerializeToString()
    response = post(server, body, PROTOBUF)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert not parsed.HasField("partial_success")
    assert stored_names(server) == ["a", "b"]


def test_json_request_with_hex_ids_string_int64_and_unknown_fields_is_stored(server) -> None:
    start = time.time_ns()
    document = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "js"}}]
                },
                "futureField": {"ignored": True},
                "scopeSpans": [
                    {
                        "scope": {"name": "s", "version": "2"},
                        "spans": [
                            {
                                "traceId": "5B8EFFF798038103D269B633813FC60C",
                                "spanId": "EEE19B7EC3C1B174",
                                "name": "json span",
                                "kind": 3,
                                "startTimeUnixNano": str(start),
                                "endTimeUnixNano": start + 5000,
                                "attributes": [{"key": "n", "value": {"intValue": "42"}}],
                                "status": {"code": 2, "message": "boom"},
                                "unknownSpanField": 1,
                            }
                        ],
                    }
                ],
            }
        ]
    }
    response = post(server, json.dumps(document).encode(), {"content-type": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    assert server.wait_stored(20)
    row = server.client.query(
        "SELECT TraceId, SpanId, SpanKind, ServiceName, SpanAttributes['n'], StatusCode,"
        " StatusMessage, Duration, toUnixTimestamp64Nano(Timestamp) FROM otel_traces"
    ).result_rows[0]
    assert row == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "Client",
        "js",
        "42",
        "Error",
        "boom",
        5000,
        start,
    )


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "zstd"])
def test_compressed_bodies_are_accepted(server, encoding: str) -> None:
    raw = make_request([make_span(f"compressed-{encoding}")]).SerializeToString()
    body = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "zstd": zstandard.ZstdCompressor().compress,
    }[encoding](raw)
    response = post(server, body, {**PROTOBUF, "content-encoding": encoding})
    assert response.status_code == 200
    assert stored_names(server) == [f"compressed-{encoding}"]


def test_invalid_spans_are_rejected_through_partial_success_and_valid_ones_stored(server) -> None:
    now = time.time_ns()
    spans = [
        make_span("good"),
        make_span("zero trace id", trace_id=bytes(16)),
        make_span("short span id", span_id=b"\x01\x02"),
        make_span("ends before start", start_ns=now, duration_ns=-1_000),
        make_span("far future", start_ns=now + 2 * 3600 * 10**9),
        make_span("from last week", start_ns=now - 7 * 86_400 * 10**9),
    ]
    response = post(server, make_request(spans).SerializeToString(), PROTOBUF)
    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 4
    assert "ending before they start" in partial.error_message
    assert "future clock skew" in partial.error_message
    # late spans inside the retention are kept with their own timestamp, never moved
    assert stored_names(server) == ["from last week", "good"]


def test_malformed_bodies_get_400_with_a_status_message(server) -> None:
    response = post(server, b"\xff\xfe not protobuf at all", PROTOBUF)
    assert response.status_code == 400
    status = status_pb2.Status.FromString(response.content)
    assert "malformed protobuf" in status.message
    response = post(server, b"{not json", {"content-type": "application/json"})
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["message"]
    response = post(server, b"[1, 2]", {"content-type": "application/json"})
    assert response.status_code == 400


def test_unsupported_content_type_gets_415_and_wrong_method_405(server) -> None:
    response = post(server, b"x", {"content-type": "text/plain"})
    assert response.status_code == 415
    assert "application/x-protobuf" in response.text
    response = httpx.get(f"http://127.0.0.1:{server.http_port}/v1/traces", timeout=10)
    assert response.status_code == 405
    response = post(server, b"x", {**PROTOBUF, "content-encoding": "br"})
    assert response.status_code == 415


def test_oversized_body_gets_413_and_nothing_is_stored(make_server) -> None:
    server = make_server(max_body_bytes=64 * 1024)
    big = make_request([make_span("big", attributes={"blob": "x" * 100_000})])
    response = post(server, big.SerializeToString(), PROTOBUF)
    assert response.status_code == 413
    assert stored_names(server) == []


def test_decompression_bomb_gets_413_without_inflating_it_all(make_server) -> None:
    server = make_server(max_body_bytes=1024 * 1024)
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024))  # 200 MiB of zeros in ~200 KiB
    assert len(bomb) < 1024 * 1024
    response = post(server, bomb, {**PROTOBUF, "content-encoding": "gzip"})
    assert response.status_code == 413
    assert "decompressed body exceeds" in status_pb2.Status.FromString(response.content).message


def test_truncated_gzip_gets_400(server) -> None:
    body = gzip.compress(make_request([make_span()]).SerializeToString())[:-12]
    response = post(server, body, {**PROTOBUF, "content-encoding": "gzip"})
    assert response.status_code == 400


def test_long_values_are_truncated_and_attribute_counts_capped(make_server) -> None:
    from gapwatch.collector import AttributeLimits

    server = make_server(limits=AttributeLimits(max_value_length=100, max_attributes=5))
    attributes = {f"k{i:02d}": "v" for i in range(20)}
    attributes["k00"] = "y" * 1000
    post(
        server,
        make_request([make_span("capped", attributes=attributes)]).SerializeToString(),
        PROTOBUF,
    )
    assert server.wait_stored(20)
    (stored,) = server.client.query("SELECT SpanAttributes FROM otel_traces").result_rows[0]
    assert len(stored) == 5
    assert len(stored["k00"]) == 100 and stored["k00"].endswith("…")
    metrics = httpx.get(f"http://127.0.0.1:{server.http_port}/metrics", timeout=10).text
    assert "gapwatch_collector_dropped_attributes_total 15.0" in metrics
    assert "gapwatch_collector_truncated_values_total 1.0" in metrics


def test_invalid_utf8_and_control_characters_survive_without_5xx(server) -> None:
    # protobuf strings must be UTF-8; a hostile client can still send raw bytes on the wire
    valid = make_request([make_span("ctl", attributes={"v": "a\x00b\x1bc\u2028"})])
    response = post(server, valid.SerializeToString(), PROTOBUF)
    assert response.status_code == 200
    body = bytearray(make_request([make_span("XXbad")]).SerializeToString())
    index = body.index(b"XXbad")
    body[index : index + 2] = b"\xc3\x28"  # an invalid UTF-8 sequence inside the span name
    response = post(server, bytes(body), PROTOBUF)
    assert response.status_code in (200, 400)
    assert server.wait_stored(20)
    (value,) = server.client.query(
        "SELECT SpanAttributes['v'] FROM otel_traces WHERE SpanName = 'ctl'"
    ).result_rows[0]
    assert value == "a\x00b\x1bc\u2028"


def test_deeply_nested_values_get_a_clear_answer_never_a_5xx(server) -> None:
    nested: object = "leaf"
    for _ in range(40):
        nested = [nested]
    ok = post(
        server,
        make_request([make_span("nested", attributes={"n": nested})]).SerializeToString(),
        PROTOBUF,
    )
    assert ok.status_code == 200
    levels = 5000
    deep = '{"arrayValue":{"values":[' * levels + '{"stringValue":"leaf"}' + "]}}" * levels
    span = {
        "traceId": os.urandom(16).hex(),
        "spanId": os.urandom(8).hex(),
        "name": "too deep",
        "startTimeUnixNano": str(time.time_ns()),
        "endTimeUnixNano": str(time.time_ns()),
        "attributes": [{"key": "d", "value": "DEEP"}],
    }
    document = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})
    document = document.replace('"DEEP"', deep)
    too_deep = post(server, document.encode(), {"content-type": "application/json"})
    assert too_deep.status_code == 400
    assert "nested too deep" in too_deep.json()["message"]
    assert server.wait_stored(20)
    (value,) = server.client.query(
        "SELECT SpanAttributes['n'] FROM otel_traces WHERE SpanName = 'nested'"
    ).result_rows[0]
    # levels past AttributeLimits.max_depth (32) are replaced by a marker, not recursed into
    assert value == "[" * 32 + '"…(nested too deep)"' + "]" * 32


def test_ingest_tokens_require_a_bearer_and_nothing_is_stored_without(make_server) -> None:
    server = make_server(ingest_tokens=("s3cret-token",))
    body = make_request([make_span("authed")]).SerializeToString()
    assert post(server, body, PROTOBUF).status_code == 401
    assert post(server, body, {**PROTOBUF, "authorization": "Bearer wrong"}).status_code == 401
    basic = {**PROTOBUF, "authorization": "Basic s3cret-token"}
    assert post(server, body, basic).status_code == 401
    assert stored_names(server) == []
    ok = post(server, body, {**PROTOBUF, "authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200
    assert stored_names(server) == ["authed"]


def test_a_retried_request_is_stored_once(server) -> None:
    body = make_request([make_span("once")]).SerializeToString()
    for _ in range(3):
        assert post(server, body, PROTOBUF).status_code == 200
    assert stored_names(server) == ["once"]


def test_full_queue_answers_429_with_retry_after_and_retry_info(make_server) -> None:
    server = make_server(max_backlog_bytes=1)
    server.drainer.stop(drain_timeout_s=0)  # nothing moves the backlog: the queue stays full
    body = make_request([make_span("first")]).SerializeToString()
    assert post(server, body, PROTOBUF).status_code == 200  # empty queue: accepted
    response = post(server, make_request([make_span("second")]).SerializeToString(), PROTOBUF)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    status = status_pb2.Status.FromString(response.content)
    retry = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(retry) and retry.retry_delay.seconds >= 1


def test_health_readiness_and_metrics_endpoints(server) -> None:
    base = f"http://127.0.0.1:{server.http_port}"
    post(server, make_request([make_span("m")]).SerializeToString(), PROTOBUF)
    assert server.wait_stored(20)
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    for name in (
        "gapwatch_collector_spans_received_total 1.0",
        "gapwatch_collector_spans_accepted_total 1.0",
        "gapwatch_collector_spans_stored_total 1.0",
        "gapwatch_collector_queue_records 0.0",
        "gapwatch_collector_oldest_queued_seconds",
        "gapwatch_collector_insert_seconds_bucket",
        "gapwatch_collector_wal_bytes",
        'gapwatch_collector_requests_total{code="200",transport="http"} 1.0',
    ):
        assert name in metrics


def test_json_partial_success_uses_the_otlp_json_field_names(server) -> None:
    document = json_format.MessageToDict(make_request([make_span("ok")]))
    document["resourceSpans"][0]["scopeSpans"][0]["spans"].append(
        {
            "traceId": "zz",
            "spanId": "0011223344556677",
            "name": "bad id",
            "startTimeUnixNano": "1",
            "endTimeUnixNano": "2",
        }
    )
    # MessageToDict renders ids as base64; OTLP JSON wants hex
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    import base64

    span["traceId"] = base64.b64decode(span["traceId"]).hex()
    span["spanId"] = base64.b64decode(span["spanId"]).hex()
    response = post(server, json.dumps(document).encode(), {"content-type": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert body["partialSuccess"]["rejectedSpans"] == "1"
    assert "invalid trace id" in body["partialSuccess"]["errorMessage"]
    assert stored_names(server) == ["ok"]
