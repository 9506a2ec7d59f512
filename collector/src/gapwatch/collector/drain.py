"""Move acknowledged spans from the write-ahead log into ClickHouse, in order, exactly once.

Each block of records is announced in the WAL checkpoint before it is inserted and committed
after; the insert's deduplication token is derived from the block's WAL range, so re-inserting
a block after a crash (or a failed attempt that actually landed) stores it once.

Two kinds of failure are told apart (:mod:`gapwatch.collector.insert_errors`): unavailable
storage is retried with backoff, in order, for as long as it takes; data that storage refuses
is isolated by splitting the block, and what fails alone goes to the quarantine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.collector.admission import DRAIN_COPIES, MemoryAdmission
from gapwatch.collector.errors import StorageUnavailable, UnstorableData
from gapwatch.collector.flatten import (
    AttributeLimits,
    FlattenStats,
    Redact,
    SpanColumns,
    flatten_request,
)
from gapwatch.collector.metrics import CollectorMetrics
from gapwatch.collector.pipeline import StorageHealth
from gapwatch.collector.protobuf_insert import NeedsPythonFlatten, ProtobufSpanWriter
from gapwatch.collector.quarantine import Quarantine
from gapwatch.collector.wal import Position, Record, WriteAheadLog
from gapwatch.collector.writer import SpanWriter

logger = logging.getLogger(__name__)

# after a block of at least this many payload bytes, freed memory is handed back to the OS
LARGE_BLOCK_BYTES = 8 * 2**20
# spans per insert: measured on the ingest benchmark, 20k blocks kept chDB's parse-and-insert
# memory to ~0.7 GiB peak (50k: ~1.1 GiB) at the same or better throughput
DEFAULT_BATCH_SPANS = 20_000


class WalDrainer:
    """A background thread inserting WAL blocks of up to ``batch_spans`` spans; a block waits
    at most ``linger_s`` for more data so spans become queryable quickly.

    With a ``protobuf_writer`` ClickHouse parses and flattens each block itself; a block it
    cannot render exactly is flattened in Python and written through ``writer``.
    """

    def __init__(
        self,
        wal: WriteAheadLog,
        writer: SpanWriter,
        health: StorageHealth,
        *,
        limits: AttributeLimits | None = None,
        redact: Redact | None = None,
        metrics: CollectorMetrics | None = None,
        batch_spans: int = DEFAULT_BATCH_SPANS,
        linger_s: float = 0.2,
        max_backoff_s: float = 5.0,
        protobuf_writer: ProtobufSpanWriter | None = None,
        quarantine: Quarantine | None = None,
        admission: MemoryAdmission | None = None,
        release_memory: Callable[[], None] | None = None,
    ):
        self._wal = wal
        # a block's records are read up to this many payload bytes (at least one record)
        self._admission = admission
        self._max_block_bytes = admission.pool_bytes // DRAIN_COPIES if admission else None
        self._release_memory = release_memory
        self._quarantine = quarantine or Quarantine(wal.directory.parent / "quarantine")
        self._writer = writer
        self._health = health
        self._limits = limits or AttributeLimits()
        self._redact = redact
        self._metrics = metrics or CollectorMetrics()
        self._batch_spans = batch_spans
        self._linger_s = linger_s
        self._max_backoff_s = max_backoff_s
        self._protobuf_writer = protobuf_writer
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gapwatch-wal-drainer", daemon=True)
        self._idle = threading.Event()

    @property
    def clickhouse_parses_otlp(self) -> bool:
        """Whether blocks go to ClickHouse's Protobuf parser first (else all to Python)."""
        return self._protobuf_writer is not None

    def start(self) -> None:
        self._thread.start()

    def stop(self, drain_timeout_s: float = 10.0) -> None:
        """Stop after the backlog is stored, or after ``drain_timeout_s`` (the WAL keeps the
        rest for the next start)."""
        deadline = time.monotonic() + drain_timeout_s
        while time.monotonic() < deadline and self._wal.backlog()[0] and self._health.available:
            self._idle.wait(0.05)
        self._stopping.set()
        self._thread.join(timeout=max(1.0, drain_timeout_s))

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until everything logged so far is in ClickHouse (for tests and the demo)."""
        deadline = time.monotonic() + timeout_s
        target = self._wal.durable_end
        while time.monotonic() < deadline:
            if self._wal.checkpoint.committed >= target:
                return True
            self._idle.wait(0.02)
            self._idle.clear()
        return False

    def _run(self) -> None:
        try:
            pending = self._wal.checkpoint.pending
            if pending is not None:
                # the previous process announced this block and may have inserted it
                records = self._wal.read(pending[0], max_spans=2**62, stop=pending[1])
                if records:
                    self._store(records)
            position = self._wal.checkpoint.committed
            while not self._stopping.is_set():
                if not self._wal.wait_for_data(position, timeout=0.25):
                    self._wal.retire_stored_segment()  # stored spans leave the disk by time too
                    self._idle.set()
                    continue
                records = self._gather(position)
                if records and self._store(records):
                    position = records[-1].end
                    self._idle.set()
        except Exception:  # the thread must not die silently: the WAL keeps the data
            logger.exception("WAL drainer stopped unexpectedly; data stays in the WAL")
            self._health.available = False
            self._health.last_error = "drainer crashed"

    def _gather(self, position: Position) -> list[Record]:
        records = self._wal.read(position, self._batch_spans, max_bytes=self._max_block_bytes)
        deadline = time.monotonic() + self._linger_s
        while (
            records
            and sum(r.spans for r in records) < self._batch_spans
            and time.monotonic() < deadline
            and not self._stopping.is_set()
        ):
            if not self._wal.wait_for_data(records[-1].end, deadline - time.monotonic()):
                break
            records = self._wal.read(position, self._batch_spans, max_bytes=self._max_block_bytes)
        return records

    def _store(self, records: list[Record]) -> bool:
        """Store one WAL range and commit it; False only when stopping before it was stored."""
        start, end = records[0].position, records[-1].end
        self._wal.begin(start, end)
        token = f"{self._wal.instance_id}:{start}-{end}"
        block = _Block([r.payload for r in records], token, sum(r.spans for r in records))
        if not self._store_in_budget(block):
            return False
        if not self._health.available:
            logger.info("storage is available again")
        self._health.available = True
        self._wal.commit(end)
        return True

    def _store_in_budget(self, block: _Block) -> bool:
        """Store ``block`` once the memory its flattening and insert take is free: the drainer
        waits ahead of new requests, which are refused meanwhile."""
        size = block.size
        taken = 0
        if self._admission is not None:
            taken = self._admission.take_waiting(size * DRAIN_COPIES, self._stopping)
            if not taken and self._stopping.is_set():
                return False
        try:
            return self._store_isolating(block)
        finally:
            if size >= LARGE_BLOCK_BYTES and self._release_memory is not None:
                self._release_memory()
            if self._admission is not None:
                self._admission.give_back(taken)

    def _store_isolating(self, block: _Block) -> bool:
        """Store ``block``; when its data is refused, store its halves (requests, then spans)
        so one bad span never holds back the others, and quarantine what fails alone.

        The split is a pure function of the block, and each piece's token extends the block's,
        so a replay after a crash mid-way repeats the same pieces and stores each once."""
        try:
            stats = self._write_retrying(block)
        except UnstorableData as error:
            halves = block.halves()
            if halves is None:
                return self._quarantine_retrying(block, str(error))
            if block.token.count("/") == 0:
                self._metrics.isolated_blocks.inc()
                logger.warning("a block was refused for its data; isolating it: %s", error)
            return all(self._store_isolating(half) for half in halves)
        if stats is None:
            return False
        self._metrics.spans_stored.inc(stats.spans)
        self._metrics.truncated_values.inc(stats.truncated_values)
        self._metrics.dropped_attributes.inc(stats.dropped_attributes)
        return True

    def _write_retrying(self, block: _Block) -> FlattenStats | None:
        """Write until it lands (None: stopping first). Unavailable storage is waited out in
        order; :class:`UnstorableData` is raised to the caller at once."""
        backoff = 0.25
        while True:
            began = time.perf_counter()
            try:
                stats = self._write(block)
            except StorageUnavailable as error:
                if not self._wait_out(error, backoff):
                    return None
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            self._metrics.insert_seconds.observe(time.perf_counter() - began)
            return stats

    def _quarantine_retrying(self, block: _Block, reason: str) -> bool:
        backoff = 0.25
        while True:
            try:
                entry = self._quarantine.put(block.payload, block.token, reason)
            except OSError as error:  # a full or broken disk: as unavailable as the store
                if not self._wait_out(StorageUnavailable(f"quarantine: {error}"), backoff):
                    return False
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            self._metrics.quarantined_spans.inc(entry.spans)
            logger.error(
                "quarantined %d span(s) that storage refuses (token %s): %s",
                entry.spans,
                block.token,
                reason,
            )
            return True

    def _wait_out(self, error: StorageUnavailable, backoff: float) -> bool:
        """Record the outage and sleep ``backoff``; False when the drainer is stopping."""
        if self._health.available or backoff == 0.25:
            logger.warning("insert failed, retrying in %.1fs: %s", backoff, error)
        self._health.available = False
        self._health.last_error = str(error)[:200]
        self._metrics.insert_failures.inc()
        return not self._stopping.wait(backoff)

    def _write(self, block: _Block) -> FlattenStats:
        """Store one block under its token, through ClickHouse's parser when it can render it."""
        if self._protobuf_writer is not None and not block.needs_python:
            try:
                self._protobuf_writer.write_payload(block.payload, block.token)
                return FlattenStats(spans=block.spans)
            except (NeedsPythonFlatten, UnstorableData):
                # decided once per block: a retry after a storage error goes straight to Python,
                # which renders what the SQL path cannot and is the one that judges the data
                block.needs_python = True
                self._metrics.python_flattened_blocks.inc()
                if block.size >= LARGE_BLOCK_BYTES and self._release_memory is not None:
                    # the engine's attempt peaked high; let the Python path start from less
                    self._release_memory()
        if block.columns is None:
            request = ExportTraceServiceRequest.FromString(block.payload)
            block.columns = flatten_request(request, self._limits, self._redact, block.stats)
        self._writer.write(block.columns, block.token)
        return block.stats


@dataclass
class _Block:
    """WAL records (serialized requests) on their way to ClickHouse, with what retries must
    not redo."""

    parts: list[bytes]
    token: str
    spans: int
    needs_python: bool = False
    columns: SpanColumns | None = None
    stats: FlattenStats = field(default_factory=FlattenStats)

    @property
    def size(self) -> int:
        return sum(len(part) for part in self.parts)

    @property
    def payload(self) -> bytes:
        # concatenated serialized messages parse as one message with all resource_spans
        return b"".join(self.parts)

    def halves(self) -> tuple[_Block, _Block] | None:
        """Two blocks holding this one's data: split between requests while there are several,
        then between spans; None for a single span (or a request without spans)."""
        if len(self.parts) > 1:
            middle = len(self.parts) // 2
            pieces = [self.parts[:middle], self.parts[middle:]]
        else:
            split = split_spans(self.parts[0])
            if split is None:
                return None
            pieces = [[split[0]], [split[1]]]
        first, second = (
            _Block(parts, f"{self.token}/{index}", _span_count(parts))
            for index, parts in enumerate(pieces)
        )
        return first, second


def split_spans(payload: bytes) -> tuple[bytes, bytes] | None:
    """A serialized request as two requests, each with half of its spans (and their resource
    and scope); None when it holds fewer than two spans."""
    request = ExportTraceServiceRequest.FromString(payload)
    total = sum(len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans)
    if total < 2:
        return None
    middle = total // 2
    return _span_range(request, 0, middle), _span_range(request, middle, total)


def _span_range(request: ExportTraceServiceRequest, first: int, stop: int) -> bytes:
    piece = ExportTraceServiceRequest()
    index = 0
    for resource_spans in request.resource_spans:
        kept_resource = None
        for scope_spans in resource_spans.scope_spans:
            count = len(scope_spans.spans)
            low, high = max(first - index, 0), min(stop - index, count)
            index += count
            if low >= high:
                continue
            if kept_resource is None:
                kept_resource = piece.resource_spans.add()
                kept_resource.resource.CopyFrom(resource_spans.resource)
                kept_resource.schema_url = resource_spans.schema_url
            kept_scope = kept_resource.scope_spans.add()
            kept_scope.scope.CopyFrom(scope_spans.scope)
            kept_scope.schema_url = scope_spans.schema_url
            kept_scope.spans.extend(scope_spans.spans[low:high])
    return bytes(piece.SerializeToString())


def _span_count(parts: list[bytes]) -> int:
    request = ExportTraceServiceRequest.FromString(b"".join(parts))
    return sum(len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans)
