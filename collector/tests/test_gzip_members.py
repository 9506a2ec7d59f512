"""Multi-member gzip bodies (RFC 1952 §2.2): every member decoded, the size cap on the total."""

from __future__ import annotations

import gzip

import httpx
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from gapwatch.collector import CollectorServer
from gapwatch.collector.testing import make_request, make_span

GZIP_PROTOBUF = {"content-type": "application/x-protobuf", "content-encoding": "gzip"}


def post(server: CollectorServer, body: bytes) -> httpx.Response:
    return httpx.post(
        f"http://127.0.0.1:{server.http_port}/v1/traces",
        content=body,
        headers=GZIP_PROTOBUF,
        timeout=30,
    )


def test_every_member_of_a_multi_member_gzip_body_is_stored(server) -> None:
    # concatenated protobuf messages merge, so two members carry one request's two halves
    first = make_request([make_span("from member one")]).SerializeToString()
    second = make_request([make_span("from member two")]).SerializeToString()
    response = post(server, gzip.compress(first) + gzip.compress(second))
    assert response.status_code == 200, response.content
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")
    assert server.wait_stored(20)
    names = server.client.query("SELECT SpanName FROM otel_traces ORDER BY SpanName").result_rows
    assert names == [("from member one",), ("from member two",)]


def test_the_size_cap_applies_to_all_members_together(make_server) -> None:
    server = make_server(max_body_bytes=64 * 1024)
    member = gzip.compress(b"\0" * (40 * 1024))  # each member alone is under the cap
    response = post(server, member * 2)
    assert response.status_code == 413
    assert "decompressed body exceeds" in status_pb2.Status.FromString(response.content).message


def test_garbage_after_the_last_member_is_a_400_not_a_silent_drop(server) -> None:
    body = gzip.compress(make_request([make_span("kept?")]).SerializeToString())
    response = post(server, body + b"not gzip at all")
    assert response.status_code == 400
    assert server.wait_stored(20)
    assert server.client.query("SELECT count() FROM otel_traces").result_rows == [(0,)]
