from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from gapwatch.collector.testing import make_request, make_span

METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def export(port: int, body: bytes, metadata: tuple[tuple[str, str], ...] = ()):  # type: ignore[no-untyped-def]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(
            METHOD,
            request_serializer=None,
            response_deserializer=ExportTraceServiceResponse.FromString,
        )
        return call(body, metadata=metadata, timeout=30)


def test_grpc_export_is_stored_with_partial_success_for_invalid_spans(server) -> None:
    body = make_request([make_span("grpc ok"), make_span("bad", trace_id=b"\x00" * 16)])
    response = export(server.grpc_port, body.SerializeToString())
    assert response.partial_success.rejected_spans == 1
    assert server.wait_stored(20)
    names = server.client.query("SELECT SpanName FROM otel_traces").result_rows
    assert names == [("grpc ok",)]


def test_grpc_without_the_token_is_unauthenticated_and_stores_nothing(make_server) -> None:
    server = make_server(ingest_tokens=("tok-123456",))
    body = make_request([make_span("secret")]).SerializeToString()
    with pytest.raises(grpc.RpcError) as error:
        export(server.grpc_port, body)
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    export(server.grpc_port, body, (("authorization", "Bearer tok-123456"),))
    assert server.wait_stored(20)
    assert server.client.query("SELECT count() FROM otel_traces").result_rows == [(1,)]


def test_grpc_malformed_request_is_invalid_argument(server) -> None:
    with pytest.raises(grpc.RpcError) as error:
        export(server.grpc_port, b"\xff\xff\xff garbage")
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_grpc_full_queue_is_resource_exhausted_with_retry_info(make_server) -> None:
    server = make_server(max_backlog_bytes=1)
    server.drainer.stop(drain_timeout_s=0)
    export(server.grpc_port, make_request([make_span("fills")]).SerializeToString())
    with pytest.raises(grpc.RpcError) as error:
        export(server.grpc_port, make_request([make_span("refused")]).SerializeToString())
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(error.value)
    assert status is not None
    retry = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(retry) and retry.retry_delay.seconds >= 1


def test_grpc_storage_down_and_queue_full_is_unavailable(make_server) -> None:
    server = make_server(max_backlog_bytes=1)
    server.health.available = False  # what the drainer records after a failed insert
    server.drainer.stop(drain_timeout_s=0)
    export(server.grpc_port, make_request([make_span("logged")]).SerializeToString())
    with pytest.raises(grpc.RpcError) as error:
        export(server.grpc_port, make_request([make_span("refused")]).SerializeToString())
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE
