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

I/O errors (a full disk, EIO) raise :class:`WalUnavailable` and leave the log as it was before
the failed call: a partly written record is cut off at once, so the records appended after
space returns are never hidden behind it. A failed fsync makes every record since the last good
fsync of unknown fate (the kernel may have dropped those pages), so they are all given up —
their clients get an error, none was acknowledged — and appending goes on in a new segment, so
no position is ever handed out twice. :attr:`WriteAheadLog.problem` says why the log is
unwritable until an append and fsync succeed again.
"""

from __future__ import annotations

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
from typing import BinaryIO

from gapwatch.collector.errors import CollectorError
from gapwatch.collector.wal_checkpoint import CheckpointFile

_HEADER = struct.Struct("<II16sII")
_SEGMENT_GLOB = "segment-*.wal"
_CHECKPOINT = "checkpoint.slots"
MAX_RECORD_BYTES = 256 * 2**20

logger = logging.getLogger(__name__)


class WalUnavailable(CollectorError):
    """The log could not take or fsync a record (full disk, I/O error); nothing was
    acknowledged, and the client should retry later."""


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
        segment_max_age_s: float = 60.0,
    ):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._segment_bytes = segment_bytes
        self._segment_max_age_s = segment_max_age_s
        self._fsync = fsync
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._appended = threading.Condition(self._lock)
        self._digests: OrderedDict[bytes, int] = OrderedDict()
        self._digest_capacity = digest_capacity
        self._record_times: OrderedDict[Position, float] = OrderedDict()
        # (start, digest) of records appended but not yet fsynced: given up if an fsync fails
        self._unsynced: list[tuple[Position, bytes]] = []
        # segment -> offset: positions past it in that segment were given up after an I/O error
        self._given_up: dict[int, int] = {}
        self._problem = ""
        self._probe_bytes = 4096  # what recheck() writes: the size of the last failed record
        self._segment_started: float | None = None  # when the current segment got its first record
        self.instance_id = self._load_instance_id()
        self._checkpoint_file = CheckpointFile(self.directory / _CHECKPOINT, fsync)
        self.checkpoint = self._load_checkpoint()
        self._end = self._recover()
        self._durable = self._end
        if self._end.offset:  # a recovered segment ages from now: its records' times are gone
            self._segment_started = time.monotonic()
        self._file: BinaryIO | None = self._open_segment(self._end.segment)

    # --- appending (receiver threads) -------------------------------------------------------

    def append(self, payload: bytes, digest: bytes, rejected: int, spans: int) -> Position:
        """Append one record; returns the position just past it (pass it to :meth:`sync`).

        Raises :class:`WalUnavailable` when the record cannot be written; nothing of it stays.
        """
        if len(payload) > MAX_RECORD_BYTES:
            raise ValueError("record too large for the write-ahead log")
        body = _HEADER.pack(len(payload), 0, digest, rejected, spans)[8:] + payload
        record = struct.pack("<II", len(payload), zlib.crc32(body)) + body
        with self._lock:
            try:
                if self._file is None or self._segment_full(time.monotonic()):
                    self._rotate()
                handle = self._file
                assert handle is not None
                start = self._end
                _write_all(handle, record)
            except OSError as error:
                self._cut_partial_record(error)
                self._probe_bytes = min(len(record), 16 * 2**20)
                raise WalUnavailable(self._problem) from error
            self._end = Position(start.segment, start.offset + len(record))
            self._remember_digest(digest, rejected)
            self._unsynced.append((start, digest))
            now = time.monotonic()
            self._record_times[start] = now
            if self._segment_started is None:
                self._segment_started = now
            return self._end

    def sync(self, position: Position) -> None:
        """Make everything up to ``position`` durable. Concurrent callers share one fsync.

        Raises :class:`WalUnavailable` when the record at ``position`` was given up.
        """
        with self._sync_lock:
            with self._lock:
                self._check_kept(position)
                if self._durable >= position:
                    return
                target = self._end
                handle = self._file
            try:
                if self._fsync and handle is not None:
                    os.fsync(handle.fileno())
            except (OSError, ValueError) as error:  # ValueError: closed meanwhile
                with self._lock:
                    if self._file is handle:
                        self._give_up_unsynced(error)
                    self._check_kept(position)
                    if self._durable >= position:
                        return  # a rotation fsynced and closed the file under us
                    problem = self._problem or f"write-ahead log fsync failed: {error}"
                # never report a record durable that no fsync has covered
                raise WalUnavailable(problem) from error
            with self._lock:
                if target > self._durable:
                    self._durable = target
                self._unsynced = [entry for entry in self._unsynced if entry[0] >= target]
                self._problem = ""
                self._appended.notify_all()

    def seen(self, digest: bytes) -> int | None:
        """The rejected-span count of a recently logged request with this digest, else None."""
        with self._lock:
            return self._digests.get(digest)

    @property
    def problem(self) -> str:
        """Why the last append or fsync failed; ``""`` once one succeeds again."""
        with self._lock:
            return self._problem

    def recheck(self) -> str:
        """:attr:`problem`, after testing the disk again when there is one.

        A collector reported unready gets no traffic, so no append would ever show that space
        came back; a probe file as large as the record that failed, written and fsynced, does."""
        with self._lock:
            if not self._problem:
                return ""
            size = self._probe_bytes
        probe = self.directory / "write-probe.tmp"
        try:
            with open(probe, "wb", buffering=0) as handle:
                _write_all(handle, bytes(size))
                if self._fsync:
                    os.fsync(handle.fileno())
        except OSError as error:
            return f"write-ahead log unwritable: {error}"
        finally:
            probe.unlink(missing_ok=True)
        with self._lock:
            self._problem = ""
        return ""

    # --- draining (the writer thread) -------------------------------------------------------

    def wait_for_data(self, after: Position, timeout: float) -> bool:
        with self._lock:
            if self._durable > after:
                return True
            self._appended.wait(timeout)
            return self._durable > after

    def read(
        self,
        start: Position,
        max_spans: int,
        stop: Position | None = None,
        max_bytes: int | None = None,
    ) -> list[Record]:
        """Durable records from ``start`` within one segment, up to ``max_spans`` spans or
        ``max_bytes`` of payload (at least one record, however large) or ``stop``."""
        with self._lock:
            durable = self._durable
        limit = stop if stop is not None else durable
        if start >= limit:
            return []
        records: list[Record] = []
        spans = 0
        path = self._segment_path(start.segment)
        if limit.segment == start.segment:
            end_offset = limit.offset
        else:
            # an earlier segment: read to its end, or not at all once it is retired
            end_offset = path.stat().st_size if path.exists() else 0
            end_offset = min(end_offset, self._given_up.get(start.segment, end_offset))
        if start.offset >= end_offset:
            if start.segment < limit.segment:
                return self.read(Position(start.segment + 1, 0), max_spans, stop, max_bytes)
            return []
        with open(path, "rb") as handle:
            handle.seek(start.offset)
            offset = start.offset
            size = 0
            while offset < end_offset and (not records or spans < max_spans):
                if records and max_bytes is not None:
                    # the next record's length, without reading its payload
                    length_field = handle.read(4)
                    handle.seek(offset)
                    if len(length_field) < 4:
                        break
                    if size + struct.unpack("<I", length_field)[0] > max_bytes:
                        break
                record = _read_record(handle, start.segment, offset)
                if record is None:
                    break
                records.append(record)
                spans += record.spans
                size += len(record.payload)
                offset = record.end.offset
        if not records and start.segment < limit.segment:
            return self.read(Position(start.segment + 1, 0), max_spans, stop, max_bytes)
        return records

    def begin(self, start: Position, end: Position) -> None:
        """Record the block about to be inserted, before inserting it."""
        self._store_checkpoint(Checkpoint(self.checkpoint.committed, (start, end)))

    def commit(self, end: Position) -> None:
        """Everything before ``end`` is stored: advance the checkpoint, drop finished segments."""
        with self._lock:
            current = self._end.segment
        if end.segment < current and end.offset >= _size(self._segment_path(end.segment)):
            end = Position(end.segment + 1, 0)  # stored to its very end, no longer appended to
        self._store_checkpoint(Checkpoint(end, None))
        with self._lock:
            while self._record_times and next(iter(self._record_times)) < end:
                self._record_times.popitem(last=False)
        self._remove_segments_before(min(end.segment, current))

    def retire_stored_segment(self) -> bool:
        """Close the current segment and delete it when all of it is stored and its first
        record is older than ``segment_max_age_s``, so stored spans do not wait on disk for
        the segment to fill. The drainer calls this while it is idle."""
        with self._lock:
            started = self._segment_started
            if (
                started is None
                or time.monotonic() - started < self._segment_max_age_s
                or self.checkpoint.committed < self._end
                or self._durable < self._end
            ):
                return False
            try:
                self._rotate()
            except OSError as error:
                self._problem = f"write-ahead log unwritable: {error}"
                return False
            current = self._end
            try:
                self._store_checkpoint(Checkpoint(current, None))
            except OSError as error:
                # not fatal: the stored segment stays until the next commit removes it
                logger.warning("cannot record a retired WAL segment: %s", error)
                return False
        self._remove_segments_before(current.segment)
        return True

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
        total = 0
        for path in self.directory.glob(_SEGMENT_GLOB):
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                pass  # stored and deleted while we looked
        return total

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                try:
                    if self._fsync:
                        os.fsync(self._file.fileno())
                finally:
                    self._file.close()
                    self._file = None
            self._checkpoint_file.close()

    # --- internals ---------------------------------------------------------------------------

    def _segment_path(self, number: int) -> Path:
        return self.directory / f"segment-{number:012d}.wal"

    def _segment_full(self, now: float) -> bool:
        """By size, or by age: a segment whose first record is ``segment_max_age_s`` old is
        closed, so that it is deleted once stored even under steady traffic."""
        started = self._segment_started
        return self._end.offset >= self._segment_bytes or (
            started is not None and now - started >= self._segment_max_age_s
        )

    def _open_segment(self, number: int) -> BinaryIO:
        # unbuffered: a record reaches the kernel in our write call, so a failed write can be
        # cut off exactly and nothing of it lingers in a user-space buffer
        return open(self._segment_path(number), "ab", buffering=0)  # noqa: SIM115

    def _rotate(self) -> None:
        """Start the next segment (lock held). With no open file (an earlier failure gave the
        segment up), only the new segment is opened."""
        if self._file is not None:
            if self._fsync:
                try:
                    os.fsync(self._file.fileno())
                except OSError as error:
                    self._give_up_unsynced(error)
                    raise
            self._file.close()
            self._file = None
            if self._end > self._durable:
                self._durable = self._end  # just fsynced
                self._unsynced.clear()
                self._appended.notify_all()
        following = Position(self._end.segment + 1, 0)
        self._file = self._open_segment(following.segment)
        self._end = following
        self._segment_started = None
        if self._fsync:
            fsync_directory(self.directory)

    def _cut_partial_record(self, error: OSError) -> None:
        """After a failed write (lock held): remove whatever part of the record reached the
        file, so the next record follows the last whole one."""
        self._problem = f"write-ahead log unwritable: {error}"
        logger.warning("write-ahead log append failed: %s", error)
        if self._file is None:
            return
        try:
            os.ftruncate(self._file.fileno(), self._end.offset)
        except OSError as truncate_error:
            # the torn bytes stay: give the segment up from the last fsync on, so nothing
            # follows them and nothing unsynced in it is acknowledged
            logger.error("cannot cut a failed write at %s: %s", self._end, truncate_error)
            self._give_up_unsynced(truncate_error)

    def _give_up_unsynced(self, error: Exception) -> None:
        """After a failed fsync (lock held): the records since the last good fsync may not be
        on disk and a later fsync could wrongly report success, so none of them is
        acknowledged. They are cut off and forgotten; appending resumes in a new segment."""
        self._problem = f"write-ahead log fsync failed: {error}"
        logger.warning(
            "write-ahead log fsync failed; %d record(s) not acknowledged: %s",
            len(self._unsynced),
            error,
        )
        segment = self._end.segment
        keep = self._durable.offset if self._durable.segment == segment else 0
        self._given_up[segment] = min(keep, self._given_up.get(segment, keep))
        for start, digest in self._unsynced:
            self._digests.pop(digest, None)
            self._record_times.pop(start, None)
        self._unsynced.clear()
        if self._file is not None:
            try:
                os.ftruncate(self._file.fileno(), keep)
            except OSError:
                pass  # the segment is closed below; recovery cuts at the first torn record
            self._file.close()
            self._file = None
        self._end = Position(segment, keep)

    def _check_kept(self, position: Position) -> None:
        given_up_after = self._given_up.get(position.segment)
        if given_up_after is not None and position.offset > given_up_after:
            raise WalUnavailable(self._problem or "the record was lost to an I/O error")

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
        loaded = self._checkpoint_file.load()
        if loaded is None:
            return Checkpoint(Position(0, 0))
        committed, pending = loaded
        return Checkpoint(
            Position(*committed),
            (Position(*pending[0]), Position(*pending[1])) if pending else None,
        )

    def _store_checkpoint(self, checkpoint: Checkpoint) -> None:
        pending = checkpoint.pending
        self._checkpoint_file.save(
            (checkpoint.committed.segment, checkpoint.committed.offset),
            (
                ((pending[0].segment, pending[0].offset), (pending[1].segment, pending[1].offset))
                if pending
                else None
            ),
        )
        self.checkpoint = checkpoint

    def _remove_segments_before(self, number: int) -> None:
        for path in sorted(self.directory.glob(_SEGMENT_GLOB)):
            if _segment_number(path) < number:
                path.unlink(missing_ok=True)


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


def _write_all(handle: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = handle.write(view)
        if not written:
            raise OSError("short write to the write-ahead log")
        view = view[written:]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _segment_number(path: Path) -> int:
    return int(path.stem.split("-")[1])


def fsync_directory(directory: Path) -> None:
    """Make a file's creation, rename or removal in ``directory`` durable."""
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
