"""OTLP/gRPC trace receiver: ``opentelemetry.proto.collector.trace.v1.TraceService/Export``.

The method handler takes the raw request bytes (no deserializer), so the body is digested for
retry deduplication and logged to the WAL as received. Throttling answers ``UNAVAILABLE`` or
``RESOURCE_EXHAUSTED`` with a ``RetryInfo`` detail, so OTLP clients back off and retry.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import grpc
from google.rpc import code_pb2
from grpc_status import rpc_status as grpc_status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from gapwatch.collector.admission import INGEST_COPIES, MemoryAdmission, MemoryExhausted
from gapwatch.collector.auth import TokenAuthenticator
from gapwatch.collector.client_timeouts import ClientTimeouts, grpc_connection_options
from gapwatch.collector.decode import DecodeError, parse_protobuf
from gapwatch.collector.metrics import CollectorMetrics
from gapwatch.collector.pipeline import Backpressure, IngestPipeline, body_digest
from gapwatch.collector.status import rpc_status

SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"

logger = logging.getLogger(__name__)


class OtlpGrpcReceiver:
    def __init__(
        self,
        pipeline: IngestPipeline,
        auth: TokenAuthenticator,
        metrics: CollectorMetrics,
        max_message_bytes: int = 20 * 2**20,
        workers: int = 8,
        timeouts: ClientTimeouts | None = None,
        admission: MemoryAdmission | None = None,
    ):
        self._pipeline = pipeline
        self._admission = admission or MemoryAdmission(2**62)
        self._auth = auth
        self._metrics = metrics
        self._server = grpc.server(
            ThreadPoolExecutor(workers, thread_name_prefix="gapwatch-otlp-grpc"),
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.so_reuseport", 0),
                *grpc_connection_options(timeouts or ClientTimeouts()),
            ],
            maximum_concurrent_rpcs=workers * 8,
        )
        handler = grpc.unary_unary_rpc_method_handler(
            self._export,
            request_deserializer=None,  # keep raw bytes
            response_serializer=ExportTraceServiceResponse.SerializeToString,
        )
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, {"Export": handler}),)
        )
        self.port = 0

    def start(self, host: str, port: int) -> int:
        self.port = self._server.add_insecure_port(f"{_bracket(host)}:{port}")
        if self.port == 0:
            raise OSError(f"cannot listen for OTLP/gRPC on {host}:{port}")
        self._server.start()
        return self.port

    def stop(self, grace_s: float = 5.0) -> None:
        self._server.stop(grace_s).wait()

    def _export(self, raw: bytes, context: grpc.ServicerContext) -> ExportTraceServiceResponse:
        metadata = dict(context.invocation_metadata())
        if not self._auth.allows(str(metadata.get("authorization", "")) or None):
            self._abort(context, code_pb2.UNAUTHENTICATED, "missing or invalid bearer token")
        try:
            with self._admission.reservation() as reservation:
                # the message is already in memory; its copies while it is logged are not yet
                reservation.grow(len(raw) * INGEST_COPIES)
                accepted = self._pipeline.submit(parse_protobuf(raw), raw, body_digest(raw))
        except DecodeError as error:
            self._abort(context, code_pb2.INVALID_ARGUMENT, str(error))
        except Backpressure as error:
            if isinstance(error, MemoryExhausted):
                self._metrics.throttled.labels(reason="memory").inc()
            code = code_pb2.UNAVAILABLE if error.status == 503 else code_pb2.RESOURCE_EXHAUSTED
            self._abort(context, code, str(error), error.retry_after)
        response = ExportTraceServiceResponse()
        if accepted.rejected:
            response.partial_success.rejected_spans = accepted.rejected
            response.partial_success.error_message = accepted.message
        self._count("OK")
        return response

    def _abort(
        self, context: grpc.ServicerContext, code: int, message: str, retry_after: int | None = None
    ) -> None:
        self._count(code_pb2.Code.Name(code))
        context.abort_with_status(grpc_status.to_status(rpc_status(code, message, retry_after)))

    def _count(self, code: str) -> None:
        self._metrics.requests.labels(transport="grpc", code=code).inc()


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
