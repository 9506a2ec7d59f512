"""Runs the analysis every N minutes and on demand, one run at a time, in a background thread;
between runs the same thread assembles settled traces, so the model stays current.

    policy = AssemblyPolicy(interval=timedelta(seconds=5), settle=timedelta(seconds=10))
    scheduler = AnalysisScheduler(analyzer, interval=timedelta(minutes=15), assembly=policy)
    scheduler.start()
    scheduler.request(window="24h")  # an on-demand run, queued behind any running one
    scheduler.stop()
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from gapwatch.analyzer.analysis import AnalysisRun, Analyzer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Request:
    window: str | None
    dry_run: bool
    run_id: str | None = None
    done: threading.Event | None = None


_STOP = _Request(None, False)


@dataclass(frozen=True)
class AssemblyPolicy:
    """How often to assemble (``interval``; zero: only before an analysis) and how long a trace
    must have received no span before it is assembled (``settle``)."""

    interval: timedelta = timedelta(0)
    settle: timedelta = timedelta(seconds=10)


class AnalysisScheduler:
    """A single worker thread fed by a queue: periodic runs when idle, requests when queued."""

    def __init__(
        self, analyzer: Analyzer, interval: timedelta | None,
        assembly: AssemblyPolicy | None = None,
    ):
        self.analyzer = analyzer
        self.interval = interval if interval and interval > timedelta(0) else None
        self.assembly = assembly or AssemblyPolicy()
        self.assembly_failures = 0
        self.last_run: AnalysisRun | None = None
        self.runs = 0
        self.failures = 0
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="gapwatch-analysis", daemon=True)
        self._thread.start()
        if self.interval:
            logger.info("analysis every %.0f s", self.interval.total_seconds())

    def request(
        self, *, window: str | None = None, dry_run: bool = False, run_id: str | None = None
    ) -> threading.Event:
        """Queue an on-demand run; the returned event is set when it has finished."""
        done = threading.Event()
        self._queue.put(_Request(window, dry_run, run_id, done))
        return done

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    def _loop(self) -> None:
        period = self.interval.total_seconds() if self.interval else 0.0
        next_run = time.monotonic() + period if period else None
        every = self.assembly.interval.total_seconds()
        while True:
            waits = [every] if every else []
            if next_run is not None:
                waits.append(next_run - time.monotonic())
            try:
                item = self._queue.get(timeout=max(0.0, min(waits)) if waits else None)
            except queue.Empty:
                if next_run is None or time.monotonic() < next_run:
                    self._assemble()
                    continue
                next_run = time.monotonic() + period
                item = _Request(None, False)  # the interval passed without a request
            if item is _STOP:
                return
            try:
                self.last_run = self.analyzer.run(
                    window=item.window, dry_run=item.dry_run, run_id=item.run_id
                )
                self.runs += 1
            except Exception:  # logged by the analyzer; the schedule goes on
                self.failures += 1
            finally:
                if item.done is not None:
                    item.done.set()

    def _assemble(self) -> None:
        try:
            self.analyzer.store.assemble(self.assembly.settle)
        except Exception:  # storage may be down for a while; the next pass retries
            self.assembly_failures += 1
            logger.exception("trace assembly failed")
