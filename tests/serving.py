"""A real ``gapwatch serve`` in a subprocess, for tests that cross packages.

    with GapwatchServer(tmp_path / "data") as server:
        httpx.get(server.api_url + "/healthz")

The server has its own chDB directory (one directory per process) and free loopback ports; this
process only speaks OTLP and HTTP to it. Scheduled analyses are off: tests run them on demand.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

GAPWATCH = [sys.executable, "-m", "gapwatch.analyzer.cli"]
START_TIMEOUT = 90.0
_STORED = re.compile(r"^gapwatch_collector_spans_stored_total\s+([0-9.e+]+)", re.MULTILINE)


class GapwatchServer:
    """Starts ``gapwatch serve`` on entry and stops it (SIGTERM, clean exit) on exit."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.env = {**os.environ, "GAPWATCH_ANALYSIS_INTERVAL_MINUTES": "0",
                    "GAPWATCH_HOST": "127.0.0.1", **(env or {})}
        self.process: subprocess.Popen[str] | None = None
        self.advertised: dict[str, Any] = {}
        self.log: list[str] = []

    @property
    def api_url(self) -> str:
        return str(self.advertised["api_url"])

    @property
    def otlp_http_port(self) -> int:
        return int(self.advertised["otlp_http_port"])

    @property
    def otlp_http_endpoint(self) -> str:
        """The base URL an OTLP/HTTP exporter appends ``/v1/traces`` to."""
        return f"http://127.0.0.1:{self.otlp_http_port}"

    def __enter__(self) -> GapwatchServer:
        self.process = subprocess.Popen(
            [*GAPWATCH, "serve", "--data-dir", str(self.data_dir), "--api-port", "0",
             "--otlp-http-port", "0", "--otlp-grpc-port", "0"],
            stderr=subprocess.PIPE, text=True, env=self.env,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert self.process.stderr is not None
        stderr = self.process.stderr
        threading.Thread(target=lambda: [lines.put(line) for line in stderr], daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while not any("gapwatch API listening" in line for line in self.log):
            try:
                self.log.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                self.process.kill()
                raise RuntimeError("gapwatch serve did not start:\n" + "".join(self.log)) from None
        self.advertised = json.loads((self.data_dir / "serve.json").read_text())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        if kind is None:
            assert code == 0, f"gapwatch serve exited with {code}"
            assert not (self.data_dir / "serve.json").exists()

    def stored_spans(self) -> int:
        """Spans the collector has written to ClickHouse so far (its own counter)."""
        text = httpx.get(self.otlp_http_endpoint + "/metrics", timeout=30).text
        match = _STORED.search(text)
        return int(float(match.group(1))) if match else 0

    def wait_for_spans(self, count: int, timeout: float = 60.0) -> None:
        """Spans are acknowledged once in the WAL and stored shortly after: wait for ``count``."""
        deadline = time.monotonic() + timeout
        while self.stored_spans() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.stored_spans()} of {count} spans stored")
            time.sleep(0.1)
