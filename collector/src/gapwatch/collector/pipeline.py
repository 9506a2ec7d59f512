"""Accepting an OTLP request: dedupe retries, apply backpressure, validate, log durably.

A request is acknowledged only after its accepted spans, redacted, are fsynced to the
write-ahead log; :class:`~gapwatch.collector.drain.WalDrainer` moves them on to ClickHouse. A
write-ahead log that cannot write (a full disk) answers 503, like unavailable storage.

Copies of one body that arrive together (a client retrying on timeout while its first attempt
is still in flight) are logged once: the first copy claims the body's digest before it
validates and appends, and the others wait for its answer and return that.

    pipeline = IngestPipeline(wal, health, IngestPolicy())
    accepted = pipeline.submit(request, raw_body, digest)   # may raise Backpressure
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.collector.errors import CollectorError
from gapwatch.collector.metrics import CollectorMetrics
from gapwatch.collector.redaction import Redactor
from gapwatch.collector.request_redaction import redact_request
from gapwatch.collector.validation import TimePolicy, select_valid_spans
from gapwatch.collector.wal import WalUnavailable, WriteAheadLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestPolicy:
    time_policy: TimePolicy = field(default_factory=TimePolicy)
    max_backlog_bytes: int = 512 * 2**20  # acknowledged but not yet in ClickHouse
    retry_after_s: int = 2
    # applied before the WAL append, so the log holds no more than the table will
    redactor: Redactor | None = None


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


class _Claim:
    """One body being logged; copies arriving meanwhile wait for its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.outcome: Accepted | Exception | None = None


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
        self._claims_lock = threading.Lock()
        self._claims: dict[bytes, _Claim] = {}

    def submit(
        self, request: ExportTraceServiceRequest, raw: bytes | None, digest: bytes
    ) -> Accepted:
        """Validate and durably log ``request``.

        ``raw`` is the protobuf body when the request arrived as protobuf (logged as is when
        nothing was rejected); ``digest`` identifies the body for retry deduplication.
        Raises :class:`Backpressure` when the queue is full, storage is down or the
        write-ahead log cannot write.
        """
        with self._claims_lock:
            # seen() and the claim are checked under one lock: a copy either finds the first
            # one's record, or its claim, never neither
            previous = self._wal.seen(digest)
            claim = None if previous is not None else self._claims.get(digest)
            if previous is None and claim is None:
                mine = self._claims[digest] = _Claim()
        if previous is not None:
            # an earlier copy was logged: the client did not see our answer and retried
            self._metrics.duplicates.inc()
            return Accepted(previous, _rejection_message(previous), duplicate=True)
        if claim is not None:
            return self._await_first_copy(claim)
        try:
            accepted = self._log(request, raw, digest)
        except Exception as error:
            mine.outcome = error
            raise
        else:
            mine.outcome = accepted
            return accepted
        finally:
            with self._claims_lock:
                del self._claims[digest]
            mine.done.set()

    def _await_first_copy(self, claim: _Claim) -> Accepted:
        claim.done.wait()
        outcome = claim.outcome
        if isinstance(outcome, Accepted):
            self._metrics.duplicates.inc()
            return Accepted(outcome.rejected, outcome.message, duplicate=True)
        if isinstance(outcome, Backpressure):
            raise Backpressure(str(outcome), outcome.status, outcome.retry_after)
        # the first copy failed for another reason: this copy gets the same kind of answer
        raise outcome if outcome is not None else RuntimeError("claim ended without an outcome")

    def _log(
        self, request: ExportTraceServiceRequest, raw: bytes | None, digest: bytes
    ) -> Accepted:
        self._check_capacity()
        result = select_valid_spans(request, self._policy.time_policy)
        self._metrics.spans_received.inc(result.accepted + result.rejected)
        self._metrics.spans_rejected.inc(result.rejected)
        if result.accepted:
            redactor = self._policy.redactor
            redacted = 0
            if redactor is not None:
                redacted = redact_request(result.request, redactor, raw)
            # the body as received is logged only when nothing in it was dropped or rewritten
            payload = raw if raw is not None and not result.rejected and not redacted else None
            if payload is None:
                payload = result.request.SerializeToString()
            try:
                position = self._wal.append(payload, digest, result.rejected, result.accepted)
                self._wal.sync(position)
            except WalUnavailable as error:
                self._metrics.throttled.labels(reason="wal_unwritable").inc()
                raise Backpressure(
                    f"{error}; retry later", 503, self._policy.retry_after_s * 2
                ) from error
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
