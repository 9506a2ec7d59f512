"""Runs the analysis every N minutes and on demand, one run at a time, in a background thread.

    scheduler = AnalysisScheduler(analyzer, interval=timedelta(minutes=15))
    scheduler.start()
    scheduler.request(window="24h")  # an on-demand run, queued behind any running one
    scheduler.stop()
"""

from __future__ import annotations

import logging
import queue
import threading
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


class AnalysisScheduler:
    """A single worker thread fed by a queue: periodic runs when idle, requests when queued."""

    def __init__(self, analyzer: Analyzer, interval: timedelta | None):
        self.analyzer = analyzer
        self.interval = interval if interval and interval > timedelta(0) else None
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
        wait = self.interval.total_seconds() if self.interval else None
        while True:
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
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
