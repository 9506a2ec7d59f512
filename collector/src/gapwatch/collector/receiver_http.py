"""OTLP/HTTP trace receiver (``POST /v1/traces``) plus ``/healthz``, ``/readyz`` and ``/metrics``.

A plain ASGI application, served by uvicorn. Answers follow the OTLP specification: the
response uses the request's content type; failures carry a ``google.rpc.Status`` body; 429/503
carry ``Retry-After``; rejected spans are reported through ``partial_success``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.protobuf import json_format
from google.rpc import code_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from gapwatch.collector.admission import (
    INGEST_COPIES,
    MemoryAdmission,
    MemoryExhausted,
    Reservation,
)
from gapwatch.collector.auth import TokenAuthenticator
from gapwatch.collector.decode import (
    JSON,
    PROTOBUF,
    SUPPORTED_CONTENT_TYPES,
    DecodeError,
    PayloadTooLarge,
    decompress,
    media_type,
    parse_json,
    parse_protobuf,
)
from gapwatch.collector.metrics import CollectorMetrics
from gapwatch.collector.pipeline import Accepted, Backpressure, IngestPipeline, body_digest
from gapwatch.collector.quarantine import Quarantine
from gapwatch.collector.status import rpc_status

TRACES_PATH = "/v1/traces"
QUARANTINE_PATH = "/v1/quarantine"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger(__name__)

_GRPC_CODE_FOR_STATUS = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    408: code_pb2.DEADLINE_EXCEEDED,
    413: code_pb2.RESOURCE_EXHAUSTED,
    429: code_pb2.RESOURCE_EXHAUSTED,
    503: code_pb2.UNAVAILABLE,
}


class OtlpHttpApp:
    """ASGI app. ``ready`` tells ``/readyz`` whether storage takes writes and the queue has room."""

    def __init__(
        self,
        pipeline: IngestPipeline,
        auth: TokenAuthenticator,
        metrics: CollectorMetrics,
        ready: Callable[[], tuple[bool, str]],
        max_body_bytes: int = 20 * 2**20,
        workers: int = 8,
        quarantine: Quarantine | None = None,
        body_timeout_s: float = 60.0,
        admission: MemoryAdmission | None = None,
    ):
        self._pipeline = pipeline
        self._quarantine = quarantine
        self._auth = auth
        self._metrics = metrics
        self._ready = ready
        self._max_body_bytes = max_body_bytes
        self._body_timeout_s = body_timeout_s
        # unbounded unless the server sets a budget (tests that build the app alone)
        self._admission = admission or MemoryAdmission(2**62)
        # decoding is CPU work and logging waits on fsync: keep both off the event loop
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="gapwatch-otlp-http")

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == TRACES_PATH:
            await self._traces(scope, receive, send)
        elif path == "/healthz":
            await _plain(send, 200, b"ok\n")
        elif path == "/readyz":
            ready, why = self._ready()
            await _plain(send, 200 if ready else 503, (why or "ready").encode() + b"\n")
        elif path == "/metrics":
            await _respond(send, 200, "text/plain; version=0.0.4", self._metrics.exposition())
        elif path == QUARANTINE_PATH and self._quarantine is not None:
            await self._list_quarantine(scope, send, self._quarantine)
        else:
            await _plain(send, 404, b"not found\n")

    async def _traces(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        if scope["method"] != "POST":
            await _plain(send, 405, b"method not allowed, use POST\n", [(b"allow", b"POST")])
            return self._count(405)
        kind = media_type(headers.get("content-type", ""))
        if kind not in SUPPORTED_CONTENT_TYPES:
            message = f"unsupported content type, use {PROTOBUF} or {JSON}\n"
            await _plain(send, 415, message.encode())
            return self._count(415)
        if not self._auth.allows(headers.get("authorization")):
            await self._status(
                send,
                kind,
                401,
                "missing or invalid bearer token",
                [(b"www-authenticate", b"Bearer")],
            )
            return self._count(401)
        try:
            with self._admission.reservation() as reservation:
                body = await self._read_body_in_time(headers, receive, reservation)
                accepted = await asyncio.get_running_loop().run_in_executor(
                    self._executor,
                    self._accept,
                    body,
                    kind,
                    headers.get("content-encoding", ""),
                    reservation,
                )
        except RequestTimeout as error:
            # the rest of the body may still come: this connection cannot carry another request
            close = [(b"connection", b"close")]
            await self._status(send, kind, error.status, str(error), close)
            return self._count(error.status)
        except DecodeError as error:
            await self._status(send, kind, error.status, str(error))
            return self._count(error.status)
        except Backpressure as error:
            retry = [(b"retry-after", str(error.retry_after).encode())]
            if isinstance(error, MemoryExhausted):
                self._metrics.throttled.labels(reason="memory").inc()
            await self._status(send, kind, error.status, str(error), retry, error.retry_after)
            return self._count(error.status)
        await _respond(send, 200, kind, _export_response(accepted, kind))
        self._count(200)

    async def _list_quarantine(self, scope: Scope, send: Send, quarantine: Quarantine) -> None:
        """What storage refused, newest first, without payloads; guarded like ingest, since
        the ids and reasons come from the spans."""
        if not self._auth.allows(_headers(scope).get("authorization")):
            await _plain(send, 401, b"missing or invalid bearer token\n")
            return
        limit = _query_int(scope, "limit", default=100, maximum=10_000)
        entries = await asyncio.get_running_loop().run_in_executor(
            self._executor, quarantine.entries, limit
        )
        body = json.dumps({"entries": [entry.summary() for entry in entries]}).encode()
        await _respond(send, 200, "application/json", body)

    def _accept(
        self, body: bytes, kind: str, encoding: str, reservation: Reservation
    ) -> Accepted:
        # inflating holds the growing output and its final copy, reserved as it grows: eight
        # workers inflating 20 MiB each would otherwise go unaccounted
        raw = decompress(
            body, encoding, self._max_body_bytes, on_output=lambda size: reservation.grow(3 * size)
        )
        # what decoding, redacting and logging this body will hold, before any of it happens
        reservation.grow(len(raw) * INGEST_COPIES)
        if kind == PROTOBUF:
            return self._pipeline.submit(parse_protobuf(raw), raw, body_digest(raw))
        return self._pipeline.submit(parse_json(raw), None, body_digest(raw))

    async def _read_body_in_time(
        self, headers: dict[str, str], receive: Receive, reservation: Reservation
    ) -> bytes:
        """The body, or :class:`RequestTimeout` when it has not all arrived within the body
        timeout (a slow sender, or a ``Content-Length`` larger than what is sent)."""
        try:
            async with asyncio.timeout(self._body_timeout_s):
                return await self._read_body(headers, receive, reservation)
        except TimeoutError:
            raise RequestTimeout(
                f"the request body did not arrive within {self._body_timeout_s:g} s"
            ) from None

    async def _read_body(
        self, headers: dict[str, str], receive: Receive, reservation: Reservation
    ) -> bytes:
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_body_bytes:
            raise PayloadTooLarge(f"body exceeds the {self._max_body_bytes}-byte limit")
        # the chunks and their joined copy; a declared length is taken before reading any.
        # A body refused for memory is still read to its end, but dropped chunk by chunk: a
        # close with the client's upload unread would reset the connection before it reads
        # our 429 (the body timeout bounds how long this takes)
        refused: MemoryExhausted | None = None
        try:
            reservation.grow(2 * int(declared) if declared and declared.isdigit() else 0)
        except MemoryExhausted as error:
            refused = error
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise DecodeError("client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body_bytes:
                raise PayloadTooLarge(f"body exceeds the {self._max_body_bytes}-byte limit")
            if refused is None:
                try:
                    reservation.grow(2 * size - reservation.held)
                    chunks.append(chunk)
                except MemoryExhausted as error:
                    refused = error
                    chunks.clear()
            if not message.get("more_body", False):
                if refused is not None:
                    raise refused
                return b"".join(chunks)

    async def _status(
        self,
        send: Send,
        kind: str,
        http_status: int,
        message: str,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        status = rpc_status(
            _GRPC_CODE_FOR_STATUS.get(http_status, code_pb2.UNKNOWN), message, retry_after
        )
        if kind == PROTOBUF:
            body = status.SerializeToString()
        else:
            body = json_format.MessageToJson(status, indent=None).encode()
        await _respond(send, http_status, kind, body, extra_headers)

    def _count(self, code: int) -> None:
        self._metrics.requests.labels(transport="http", code=str(code)).inc()


class RequestTimeout(DecodeError):
    status = 408


def _export_response(accepted: Accepted, kind: str) -> bytes:
    response = ExportTraceServiceResponse()
    if accepted.rejected:
        response.partial_success.rejected_spans = accepted.rejected
        response.partial_success.error_message = accepted.message
    if kind == PROTOBUF:
        return bytes(response.SerializeToString())
    return json.dumps(json_format.MessageToDict(response)).encode()


def _query_int(scope: Scope, name: str, default: int, maximum: int) -> int:
    for pair in scope.get("query_string", b"").decode("latin-1").split("&"):
        key, _, value = pair.partition("=")
        if key == name and value.isdigit():
            return min(int(value), maximum)
    return default


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def _plain(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    await _respond(send, status, "text/plain; charset=utf-8", body, extra)


async def _respond(
    send: Send,
    status: int,
    content_type: str,
    body: bytes,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *(extra_headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
