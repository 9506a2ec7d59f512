"""Accepting an OTLP request: dedupe retries, apply backpressure, validate, log durably.

A request is acknowledged only after its accepted spans are fsynced to the write-ahead log;
:class:`~gapwatch.collector.drain.WalDrainer` moves them on to ClickHouse.

    pipeline = IngestPipeline(wal, health, IngestPolicy())
    accepted = pipeline.submit(request, raw_body, digest)   # may raise Backpressure
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.collector.errors import CollectorError
from gapwatch.collector.metrics import CollectorMetrics
from gapwatch.collector.validation import TimePolicy, select_valid_spans
from gapwatch.collector.wal import WriteAheadLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestPolicy:
    time_policy: TimePolicy = field(default_factory=TimePolicy)
    max_backlog_bytes: int = 512 * 2**20  # acknowledged but not yet in ClickHouse
    retry_after_s: int = 2


@dataclass(frozen=True)
class Accepted:
    rejected: int
    message: str
    duplicate: bool = False


class Backpressure(CollectorError):
    """The request was not taken; the client should retry after ``retry_after`` seconds.
    ``status`` is 429 (queue full) or 503 (storage unavailable)."""

    def __init__(self, message: str, status: int, retry_after: int):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class StorageHealth:
    """Shared flag the drainer sets when inserts fail and clears when they succeed."""

    def __init__(self) -> None:
        self.available = True
        self.last_error = ""


def body_digest(raw: bytes) -> bytes:
    """Identity of a request body: a client's retry sends the same bytes."""
    return hashlib.blake2b(raw, digest_size=16).digest()


class IngestPipeline:
    def __init__(
        self,
        wal: WriteAheadLog,
        health: StorageHealth,
        policy: IngestPolicy | None = None,
        metrics: CollectorMetrics | None = None,
    ):
        self._wal = wal
        self._health = health
        self._policy = policy or IngestPolicy()
        self._metrics = metrics or CollectorMetrics()

    def submit(
        self, request: ExportTraceServiceRequest, raw: bytes | None, digest: bytes
    ) -> Accepted:
        """Validate and durably log ``request``.

        ``raw`` is the protobuf body when the request arrived as protobuf (logged as is when
        nothing was rejected); ``digest`` identifies the body for retry deduplication.
        """
        previous = self._wal.seen(digest)
        if previous is not None:
            # an earlier copy was logged: the client did not see our answer and retried
            self._metrics.duplicates.inc()
            return Accepted(previous, _rejection_message(previous), duplicate=True)
        self._check_capacity()
        result = select_valid_spans(request, self._policy.time_policy)
        self._metrics.spans_received.inc(result.accepted + result.rejected)
        self._metrics.spans_rejected.inc(result.rejected)
        if result.accepted:
            payload = raw if raw is not None and not result.rejected else None
            if payload is None:
                payload = result.request.SerializeToString()
            position = self._wal.append(payload, digest, result.rejected, result.accepted)
            self._wal.sync(position)
            self._metrics.spans_accepted.inc(result.accepted)
        return Accepted(result.rejected, result.message)

    def queue_full(self) -> bool:
        """Whether acknowledged-but-unstored data has reached ``max_backlog_bytes``."""
        _, backlog_bytes, _ = self._wal.backlog()
        return backlog_bytes >= self._policy.max_backlog_bytes

    def _check_capacity(self) -> None:
        if not self.queue_full():
            return
        if self._health.available:
            self._metrics.throttled.labels(reason="queue_full").inc()
            raise Backpressure("ingest queue is full; retry later", 429, self._policy.retry_after_s)
        self._metrics.throttled.labels(reason="storage_unavailable").inc()
        raise Backpressure(
            f"storage is unavailable ({self._health.last_error}); retry later",
            503,
            self._policy.retry_after_s * 2,
        )


def _rejection_message(rejected: int) -> str:
    return f"{rejected} span(s) rejected when this request was first received" if rejected else ""
