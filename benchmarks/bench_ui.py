"""UI page loads on the demo's data: inbox, proposal, trace view, scorecards (target < 200 ms).

    .venv/bin/python benchmarks/bench_ui.py [--sessions 500] [--rounds 20]

The demo fleet (as ``gapwatch demo`` simulates it) is loaded into embedded chDB in a temporary
directory and analysed; the real app then runs under uvicorn on loopback and one HTTP client
fetches each page ``--rounds`` times (every proposal's page, one sample trace of each). A load
is the full server-rendered HTML; the browser's own drawing is not part of it.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.demo import FleetOptions
from gapwatch.analyzer.demo.loading import load_fleet
from gapwatch.analyzer.proposals.service import ProposalService
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import open_store

TARGET_MS = 200.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500, help="the demo's default")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(clickhouse_url=f"chdb://{Path(data) / 'chdb'}",
                            analysis_interval_minutes=0)
        store = open_store(settings)
        started = time.perf_counter()
        stats = load_fleet(store.client, FleetOptions(sessions=args.sessions))
        Analyzer(store).run()
        proposals = ProposalService(store).page(limit=500).proposals
        print(f"demo fleet: {args.sessions} sessions, {stats.spans} spans, {len(proposals)} "
              f"proposals, loaded and analysed in {time.perf_counter() - started:.1f} s")
        pages = {
            "inbox": ["/", "/?status=&detector=tool_failure_hotspot", "/?status=&q=timeout"],
            "proposal": [f"/proposals/{p.id}" for p in proposals],
            "trace view": [f"/traces/{p.evidence['traces'][0]}" for p in proposals
                           if p.evidence.get("traces")],
            "scorecards": ["/scorecards"],
            "weekly review": ["/review"],
        }
        timings = _measure(create_app(settings, store=store), pages, args.rounds)
        store.close()
    # the machine's load matters: other work on the same cores shows up in the tail
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, values in timings.items():
        values.sort()
        p95 = values[max(int(len(values) * 0.95) - 1, 0)]
        verdict = "met" if p95 < TARGET_MS else "MISSED"
        print(f"{name:<14} {len(values):>4} loads: p50 {statistics.median(values):6.1f} ms, "
              f"p95 {p95:6.1f} ms, max {values[-1]:6.1f} ms (target p95 < 200 ms: {verdict})")


def _measure(app: object, pages: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    timings: dict[str, list[float]] = {name: [] for name in pages}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                          timeout=60) as client:
            while not server.started:
                time.sleep(0.01)
            for paths in pages.values():  # warm up: first queries compile, caches fill
                for path in paths:
                    client.get(path).raise_for_status()
            for _ in range(rounds):
                for name, paths in pages.items():
                    for path in paths:
                        begin = time.perf_counter()
                        client.get(path).raise_for_status()
                        timings[name].append((time.perf_counter() - begin) * 1000)
    finally:
        server.should_exit = True
        thread.join(30)
    return timings


if __name__ == "__main__":
    main()
