"""A segmented, checksummed write-ahead log: what the collector has acknowledged but not yet stored.

Every accepted request is appended and fsynced before the client gets its 2xx; the drainer
reads records back in order, inserts them into ClickHouse and advances the checkpoint. After a
crash, everything past the checkpoint is replayed.

    wal = WriteAheadLog(Path("data/wal"))
    position = wal.append(payload, digest, rejected=0, spans=512)
    wal.sync(position)              # group commit: one fsync covers concurrent appends

Record layout (little-endian): payload length u32, CRC-32 of everything after it u32, request
digest 16 bytes, rejected-span count u32, span count u32, payload. A torn record at the tail
(the process died mid-write, so it was never acknowledged) is cut off when the log is opened.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
import time
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_HEADER = struct.Struct("<II16sII")
_SEGMENT_GLOB = "segment-*.wal"
_CHECKPOINT = "checkpoint.json"
MAX_RECORD_BYTES = 256 * 2**20

logger = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Position:
    segment: int
    offset: int

    def __str__(self) -> str:
        return f"{self.segment}:{self.offset}"


@dataclass(frozen=True)
class Record:
    position: Position
    end: Position
    digest: bytes
    rejected: int
    spans: int
    payload: bytes


@dataclass(frozen=True)
class Checkpoint:
    """``committed``: everything before it is stored. ``pending``: the block being inserted
    (start, end), so a replay after a crash re-inserts exactly that block under the same token."""

    committed: Position
    pending: tuple[Position, Position] | None = None


class WriteAheadLog:
    def __init__(
        self,
        directory: Path,
        segment_bytes: int = 64 * 2**20,
        digest_capacity: int = 200_000,
        fsync: bool = True,
    ):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._segment_bytes = segment_bytes
        self._fsync = fsync
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._appended = threading.Condition(self._lock)
        self._digests: OrderedDict[bytes, int] = OrderedDict()
        self._digest_capacity = digest_capacity
        self._record_times: OrderedDict[Position, float] = OrderedDict()
        self.instance_id = self._load_instance_id()
        self.checkpoint = self._load_checkpoint()
        self._end = self._recover()
        self._durable = self._end
        self._file = open(self._segment_path(self._end.segment), "ab")  # noqa: SIM115

    # --- appending (receiver threads) -------------------------------------------------------

    def append(self, payload: bytes, digest: bytes, rejected: int, spans: int) -> Position:
        """Append one record; returns the position just past it (pass it to :meth:`sync`)."""
        if len(payload) > MAX_RECORD_BYTES:
            raise ValueError("record too large for the write-ahead log")
        body = _HEADER.pack(len(payload), 0, digest, rejected, spans)[8:] + payload
        header = struct.pack("<II", len(payload), zlib.crc32(body))
        with self._lock:
            if self._end.offset >= self._segment_bytes:
                self._rotate()
            start = self._end
            self._file.write(header)
            self._file.write(body)
            self._end = Position(start.segment, start.offset + len(header) + len(body))
            self._remember_digest(digest, rejected)
            self._record_times[start] = time.monotonic()
            return self._end

    def sync(self, position: Position) -> None:
        """Make everything up to ``position`` durable. Concurrent callers share one fsync."""
        with self._sync_lock:
            if self._durable >= position:
                return
            with self._lock:
                self._file.flush()
                target = self._end
                handle = self._file
            if self._fsync:
                os.fsync(handle.fileno())
            with self._lock:
                if target > self._durable:
                    self._durable = target
                self._appended.notify_all()

    def seen(self, digest: bytes) -> int | None:
        """The rejected-span count of a recently logged request with this digest, else None."""
        with self._lock:
            return self._digests.get(digest)

    # --- draining (the writer thread) -------------------------------------------------------

    def wait_for_data(self, after: Position, timeout: float) -> bool:
        with self._lock:
            if self._durable > after:
                return True
            self._appended.wait(timeout)
            return self._durable > after

    def read(self, start: Position, max_spans: int, stop: Position | None = None) -> list[Record]:
        """Durable records from ``start`` within one segment, up to ``max_spans`` spans
        (at least one record) or ``stop``."""
        with self._lock:
            durable = self._durable
        limit = stop if stop is not None else durable
        if start >= limit:
            return []
        records: list[Record] = []
        spans = 0
        path = self._segment_path(start.segment)
        end_offset = limit.offset if limit.segment == start.segment else path.stat().st_size
        with open(path, "rb") as handle:
            handle.seek(start.offset)
            offset = start.offset
            while offset < end_offset and (not records or spans < max_spans):
                record = _read_record(handle, start.segment, offset)
                if record is None:
                    break
                records.append(record)
                spans += record.spans
                offset = record.end.offset
        if not records and start.segment < limit.segment:
            return self.read(Position(start.segment + 1, 0), max_spans, stop)
        return records

    def begin(self, start: Position, end: Position) -> None:
        """Record the block about to be inserted, before inserting it."""
        self._store_checkpoint(Checkpoint(self.checkpoint.committed, (start, end)))

    def commit(self, end: Position) -> None:
        """Everything before ``end`` is stored: advance the checkpoint, drop finished segments."""
        self._store_checkpoint(Checkpoint(end, None))
        with self._lock:
            while self._record_times and next(iter(self._record_times)) < end:
                self._record_times.popitem(last=False)
            current = self._end.segment
        for path in sorted(self.directory.glob(_SEGMENT_GLOB)):
            number = _segment_number(path)
            if number < end.segment and number < current:
                path.unlink(missing_ok=True)

    # --- observing ---------------------------------------------------------------------------

    @property
    def durable_end(self) -> Position:
        with self._lock:
            return self._durable

    def backlog(self) -> tuple[int, int, float]:
        """(records, bytes, age in seconds of the oldest record) not yet stored."""
        with self._lock:
            records = len(self._record_times)
            oldest = next(iter(self._record_times.values()), None)
            end = self._end
        committed = self.checkpoint.committed
        if end.segment == committed.segment:
            size = end.offset - committed.offset
        else:
            size = (
                end.offset
                + sum(
                    self._segment_path(n).stat().st_size
                    for n in range(committed.segment, end.segment)
                    if self._segment_path(n).exists()
                )
                - committed.offset
            )
        age = time.monotonic() - oldest if oldest is not None else 0.0
        return records, max(size, 0), age

    def size_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.directory.glob(_SEGMENT_GLOB))

    def close(self) -> None:
        with self._lock:
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
            self._file.close()

    # --- internals ---------------------------------------------------------------------------

    def _segment_path(self, number: int) -> Path:
        return self.directory / f"segment-{number:012d}.wal"

    def _rotate(self) -> None:
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self._file.close()
        self._end = Position(self._end.segment + 1, 0)
        self._file = open(self._segment_path(self._end.segment), "ab")  # noqa: SIM115
        if self._fsync:
            _fsync_directory(self.directory)

    def _remember_digest(self, digest: bytes, rejected: int) -> None:
        self._digests[digest] = rejected
        self._digests.move_to_end(digest)
        while len(self._digests) > self._digest_capacity:
            self._digests.popitem(last=False)

    def _recover(self) -> Position:
        """Scan the segments: rebuild digests and the backlog, cut a torn tail."""
        segments = sorted(self.directory.glob(_SEGMENT_GLOB))
        if not segments:
            first = max(self.checkpoint.committed.segment, 1)
            self._segment_path(first).touch()
            if self.checkpoint.committed.segment == 0:
                self.checkpoint = Checkpoint(Position(first, 0))
            return Position(first, 0)
        end = Position(_segment_number(segments[0]), 0)
        now = time.monotonic()
        for path in segments:
            number = _segment_number(path)
            offset = 0
            with open(path, "rb") as handle:
                while True:
                    record = _read_record(handle, number, offset)
                    if record is None:
                        break
                    self._remember_digest(record.digest, record.rejected)
                    if record.position >= self.checkpoint.committed:
                        self._record_times[record.position] = now
                    offset = record.end.offset
            if offset < path.stat().st_size:
                logger.warning("cutting a torn record at %s:%d (never acknowledged)", path, offset)
                with open(path, "r+b") as handle:
                    handle.truncate(offset)
            end = Position(number, offset)
        if self.checkpoint.committed.segment == 0:
            self.checkpoint = Checkpoint(Position(_segment_number(segments[0]), 0))
        return end

    def _load_instance_id(self) -> str:
        # part of every insert token: a recreated WAL restarts positions at 1:0, and its
        # tokens must not collide with the previous WAL's inside ClickHouse's dedup window
        path = self.directory / "instance-id"
        if not path.exists():
            temporary = path.with_suffix(".tmp")
            temporary.write_text(uuid.uuid4().hex)
            os.replace(temporary, path)
        return path.read_text().strip()

    def _load_checkpoint(self) -> Checkpoint:
        path = self.directory / _CHECKPOINT
        if not path.exists():
            return Checkpoint(Position(0, 0))
        data = json.loads(path.read_text())
        pending = data.get("pending")
        return Checkpoint(
            Position(*data["committed"]),
            (Position(*pending[0]), Position(*pending[1])) if pending else None,
        )

    def _store_checkpoint(self, checkpoint: Checkpoint) -> None:
        pending = checkpoint.pending
        data = {
            "committed": [checkpoint.committed.segment, checkpoint.committed.offset],
            "pending": (
                [[pending[0].segment, pending[0].offset], [pending[1].segment, pending[1].offset]]
                if pending
                else None
            ),
        }
        temporary = self.directory / (_CHECKPOINT + ".tmp")
        with open(temporary, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            if self._fsync:
                os.fsync(handle.fileno())
        os.replace(temporary, self.directory / _CHECKPOINT)  # atomic on POSIX
        self.checkpoint = checkpoint


def _read_record(handle: object, segment: int, offset: int) -> Record | None:
    read = handle.read  # type: ignore[attr-defined]
    header = read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    length, crc, digest, rejected, spans = _HEADER.unpack(header)
    if length > MAX_RECORD_BYTES:
        return None
    payload = read(length)
    if len(payload) < length or zlib.crc32(header[8:] + payload) != crc:
        return None
    end = Position(segment, offset + _HEADER.size + length)
    return Record(Position(segment, offset), end, digest, rejected, spans, payload)


def _segment_number(path: Path) -> int:
    return int(path.stem.split("-")[1])


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def iter_records(wal: WriteAheadLog, start: Position) -> Iterator[Record]:
    """All durable records from ``start`` (for tools and tests)."""
    position = start
    while records := wal.read(position, max_spans=1_000_000):
        yield from records
        position = records[-1].end
