"""Move acknowledged spans from the write-ahead log into ClickHouse, in order, exactly once.

Each block of records is announced in the WAL checkpoint before it is inserted and committed
after; the insert's deduplication token is derived from the block's WAL range, so re-inserting
a block after a crash (or a failed attempt that actually landed) stores it once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.collector.errors import StorageUnavailable
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
from gapwatch.collector.wal import Position, Record, WriteAheadLog
from gapwatch.collector.writer import SpanWriter

logger = logging.getLogger(__name__)

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
    ):
        self._wal = wal
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
        records = self._wal.read(position, self._batch_spans)
        deadline = time.monotonic() + self._linger_s
        while (
            records
            and sum(r.spans for r in records) < self._batch_spans
            and time.monotonic() < deadline
            and not self._stopping.is_set()
        ):
            if not self._wal.wait_for_data(records[-1].end, deadline - time.monotonic()):
                break
            records = self._wal.read(position, self._batch_spans)
        return records

    def _store(self, records: list[Record]) -> bool:
        start, end = records[0].position, records[-1].end
        self._wal.begin(start, end)
        # concatenated serialized messages parse as one message with all resource_spans
        payload = b"".join(r.payload for r in records)
        token = f"{self._wal.instance_id}:{start}-{end}"
        block = _Block(payload, token, sum(r.spans for r in records))
        backoff = 0.25
        while True:
            began = time.perf_counter()
            try:
                stats = self._write(block)
            except StorageUnavailable as error:
                if not self._health.available or backoff == 0.25:
                    logger.warning("insert failed, retrying in %.1fs: %s", backoff, error)
                self._health.available = False
                self._health.last_error = str(error)[:200]
                self._metrics.insert_failures.inc()
                if self._stopping.wait(backoff):
                    return False
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            break
        self._metrics.insert_seconds.observe(time.perf_counter() - began)
        self._metrics.spans_stored.inc(stats.spans)
        self._metrics.truncated_values.inc(stats.truncated_values)
        self._metrics.dropped_attributes.inc(stats.dropped_attributes)
        if not self._health.available:
            logger.info("storage is available again")
        self._health.available = True
        self._wal.commit(end)
        return True

    def _write(self, block: _Block) -> FlattenStats:
        """Store one block under its token, through ClickHouse's parser when it can render it."""
        if self._protobuf_writer is not None and not block.needs_python:
            try:
                self._protobuf_writer.write_payload(block.payload, block.token)
                return FlattenStats(spans=block.spans)
            except NeedsPythonFlatten:
                # decided once per block: a retry after a storage error goes straight to Python
                block.needs_python = True
                self._metrics.python_flattened_blocks.inc()
        if block.columns is None:
            request = ExportTraceServiceRequest.FromString(block.payload)
            block.columns = flatten_request(request, self._limits, self._redact, block.stats)
        self._writer.write(block.columns, block.token)
        return block.stats


@dataclass
class _Block:
    """One WAL range on its way to ClickHouse, with what retries must not redo."""

    payload: bytes
    token: str
    spans: int
    needs_python: bool = False
    columns: SpanColumns | None = None
    stats: FlattenStats = field(default_factory=FlattenStats)
