"""Admission by memory: the bytes that requests in flight and the block being stored may hold.

Input size alone does not bound memory: a burst of large requests is decoded, redacted and
logged at once, and the drainer holds a block of records while it flattens and inserts it.
Each takes a :class:`Reservation` from one :class:`MemoryAdmission` pool first, sized by
estimate (the bytes it handles times how many copies its steps make). A request that does not
fit is refused at once (429 with ``Retry-After``); the drainer waits instead, ahead of new
requests, so storage always makes progress and frees the queue.

    admission = MemoryAdmission(pool_bytes=512 * 2**20)
    with admission.reservation() as reservation:
        reservation.grow(len(body))             # raises MemoryExhausted beyond the pool
        ...
"""

from __future__ import annotations

import ctypes
import logging
import resource
import threading
from importlib import resources
from types import TracebackType

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from gapwatch.collector.pipeline import Backpressure

# memory held per decoded byte while a request is parsed, validated, redacted and logged: the
# parsed message, strings read from it, the re-serialized payload and the WAL record (measured
# ~3; the body itself is reserved twice as it is read, for its chunks and their join)
INGEST_COPIES = 6
# memory held per payload byte while a block is inserted (the records, their join, the engine
# parsing and rendering them, the Python path's rows): measured 9-15 alone for blocks of 19 MiB
# strings or of 200-attribute spans, whose engine attempt ends in the Python path, and up to
# ~24 inside a collector under a burst of them
DRAIN_COPIES = 24
RETRY_AFTER_S = 1
# the share of the pool the drainer leaves to requests even while it stores its largest block:
# ordinary requests keep being admitted during an insert (with the whole pool taken, every
# exporter got 429 for as long as each block took), at the cost of under-reserving a huge
# block by at most this share, well inside the budget's headroom (``pool_for_budget``)
REQUESTS_SHARE = 8

logger = logging.getLogger(__name__)


class MemoryExhausted(Backpressure):
    """The request does not fit in the memory budget now; the client should retry soon."""

    def __init__(self, message: str):
        super().__init__(message, 429, RETRY_AFTER_S)


class MemoryAdmission:
    def __init__(self, pool_bytes: int):
        if pool_bytes <= 0:
            raise ValueError("the memory pool must be positive")
        self.pool_bytes = pool_bytes
        self._in_flight = 0
        self._condition = threading.Condition()
        self._drainer_waiting = False

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def reservation(self) -> Reservation:
        return Reservation(self)

    def try_take(self, nbytes: int) -> bool:
        """Take ``nbytes`` if they fit now (never while the drainer waits for room)."""
        with self._condition:
            if self._drainer_waiting or self._in_flight + nbytes > self.pool_bytes:
                return False
            self._in_flight += nbytes
            return True

    def take_waiting(self, nbytes: int, stopping: threading.Event) -> int:
        """Take ``nbytes`` (at most the pool less the requests' share, so one huge block still
        proceeds), waiting for room ahead of requests; returns what was taken, 0 if
        ``stopping`` is set."""
        nbytes = min(nbytes, self.pool_bytes - self.pool_bytes // REQUESTS_SHARE)
        with self._condition:
            self._drainer_waiting = True
            try:
                while self._in_flight + nbytes > self.pool_bytes:
                    if stopping.is_set():
                        return 0
                    self._condition.wait(0.1)
                self._in_flight += nbytes
                return nbytes
            finally:
                self._drainer_waiting = False

    def give_back(self, nbytes: int) -> None:
        with self._condition:
            self._in_flight -= nbytes
            self._condition.notify_all()


class Reservation:
    """What one request holds; grows step by step, all given back on exit."""

    def __init__(self, admission: MemoryAdmission):
        self._admission = admission
        self.held = 0

    def grow(self, nbytes: int) -> None:
        # a request larger than the whole pool is admitted alone, or it would never be
        nbytes = min(nbytes, self._admission.pool_bytes - self.held)
        if nbytes <= 0:
            return
        if not self._admission.try_take(nbytes):
            raise MemoryExhausted(
                "the collector's memory budget is taken by requests in flight; retry later"
            )
        self.held += nbytes

    def __enter__(self) -> Reservation:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.held:
            self._admission.give_back(self.held)
            self.held = 0


def pool_for_budget(budget_bytes: int) -> int:
    """The part of a process memory budget left for data once the process itself is loaded
    (interpreter, libraries, the embedded engine): the budget less the peak resident size so
    far and a third kept for what no estimate tracks (socket and parser buffers, freed objects
    the allocators keep, the engine's caches); never less than an eighth of the budget. The third
    is measured: with a quarter, a 60 s run of mixed hostile requests peaked 11 % over."""
    resident_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return max(budget_bytes - resident_peak - budget_bytes // 3, budget_bytes // 8)


_PURGE_ENGINE_MEMORY = (
    resources.files("gapwatch.collector")
    .joinpath("sql", "maintenance", "purge_engine_memory.sql")
    .read_text(encoding="utf-8")
)
# glibc's mallopt parameter: allocations at least this large are mmapped and unmapped on free
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 2**20


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 - glibc only
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def keep_large_buffers_off_the_heap() -> None:
    """Fix glibc's mmap threshold at 1 MiB. By default it rises to the size of the largest
    buffer freed (up to 32 MiB), after which request-sized buffers come from per-thread heaps
    that keep their pages: measured, a burst of 19 MiB requests then left RSS at its peak."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)


def release_free_memory(embedded_engine: Client | None) -> None:
    """Give freed memory back to the OS after a large block: glibc's free heap pages, and the
    embedded engine's jemalloc pages it would otherwise keep for seconds, so one block's peak
    does not stack on the next."""
    if embedded_engine is not None:
        try:
            embedded_engine.command(_PURGE_ENGINE_MEMORY)
        except ClickHouseError as error:
            logger.debug("cannot purge the engine's free memory: %s", error)
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
