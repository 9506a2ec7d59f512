"""API latency: ``GET /api/v1/proposals`` p50/p95/p99 with 10,000 proposals (target p99 ≤ 50 ms).

    .venv/bin/python benchmarks/bench_api.py [--proposals 10000] [--requests 600]

Embedded chDB in a temporary directory, the real app under uvicorn on loopback, requests over
HTTP from one client: the first page, filtered pages and cursor pages, 50 proposals each.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn

from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.detectors.base import Evidence, Finding, Subject
from gapwatch.analyzer.proposals import Proposal, ProposalRepository, Status
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import open_store

DETECTORS = ("tool_failure_hotspot", "permission_blocked", "retry_loop", "error_spike")
STATUSES = ("open", "open", "open", "approved", "rejected", "implemented", "verified")


def seed(repository: ProposalRepository, count: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    batch = []
    for i in range(count):
        finding = Finding(
            detector=DETECTORS[i % len(DETECTORS)], detector_version=1,
            proposal_type="tool_improvement", priority=rng.choice(("high", "medium", "low")),
            confidence=rng.random(),
            subject=Subject(service=f"svc{i % 7}", agent=f"agent{i % 40}", tool=f"tool{i}"),
            title=f"tool{i} fails", summary="failing " * 20, proposed_change="fix " * 30,
            expected_impact="fewer failures", risk="low",
            evidence=Evidence(count=rng.randint(5, 500), sessions=rng.randint(2, 50),
                              traces=tuple(f"{rng.getrandbits(128):032x}" for _ in range(10)),
                              first_seen=now - timedelta(days=3), last_seen=now, window="7d",
                              metrics={"error_rate": rng.random(), "calls": 1000},
                              query="SELECT … FROM gapwatch_agent_spans WHERE …"),
        )
        created = now - timedelta(seconds=count - i)
        proposal = Proposal.from_finding(finding, now=created)
        batch.append(replace(proposal, status=Status(rng.choice(STATUSES))))
        if len(batch) == 2000:
            repository.save(batch)
            batch = []
    repository.save(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=data, analysis_interval_minutes=0)
        store = open_store(settings)
        started = time.perf_counter()
        seed(ProposalRepository(store), args.proposals, rng)
        print(f"seeded {args.proposals} proposals in {time.perf_counter() - started:.1f} s")

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store),
                                               log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while client.get("/healthz").status_code != 200:  # ready within a few ms of start
                time.sleep(0.01)
            cursor = client.get("/api/v1/proposals").json()["next_cursor"]
            shapes = [
                {},
                {"status": "open", "priority": "high"},
                {"detector": "retry_loop,error_spike"},
                {"cursor": cursor},
                {"agent": "agent3", "status": "open,approved"},
            ]
            for params in shapes:  # warm up
                client.get("/api/v1/proposals", params=params)
            timings = []
            for i in range(args.requests):
                params = shapes[i % len(shapes)]
                begin = time.perf_counter()
                response = client.get("/api/v1/proposals", params=params)
                timings.append((time.perf_counter() - begin) * 1000)
                assert response.status_code == 200, response.text
        server.should_exit = True
        thread.join(10)
        store.close()
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"GET /api/v1/proposals over {args.proposals} proposals, {args.requests} requests, "
          f"50 per page: p50 {statistics.median(timings):.1f} ms, "
          f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, p99 {p99:.1f} ms "
          f"(target ≤ 50 ms: {'met' if p99 <= 50 else 'MISSED'})")


if __name__ == "__main__":
    main()
