"""An analysis and API reads at the same time, on one embedded chDB session over real HTTP.

An embedded chDB session is not safe to use from several threads at once, so every query —
the detectors' included — must go through the store's lock: never two in the engine at once.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.demo.fleet import FleetOptions
from gapwatch.analyzer.demo.loading import load_fleet
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store

READS = ("/api/v1/proposals?limit=500", "/api/v1/agents", "/api/v1/tools", "/api/v1/delegations")


class OverlapWatch:
    """Passes every call through to the client, noting the most calls ever inside at once."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._guard = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in ("query", "command", "insert", "raw_query", "query_arrow"):
            return attribute

        def watched(*args: Any, **kwargs: Any) -> Any:
            with self._guard:
                self.inside += 1
                self.calls += 1
                self.most_inside = max(self.most_inside, self.inside)
            try:
                return attribute(*args, **kwargs)
            finally:
                with self._guard:
                    self.inside -= 1

        return watched


@pytest.fixture
def fleet_store(store: Store) -> Store:
    load_fleet(store.client, FleetOptions(sessions=120, seed=5, days=3,
                                          now=datetime.now(UTC).replace(microsecond=0)))
    return store


@pytest.fixture
def served(fleet_store: Store, store_url: str) -> Iterator[tuple[str, OverlapWatch]]:
    """The app on a loopback port, its store's client watched for overlapping calls."""
    watch = OverlapWatch(fleet_store.client)
    fleet_store.client = watch  # type: ignore[assignment]
    settings = Settings(clickhouse_url=store_url, analysis_interval_minutes=0)
    app = create_app(settings, store=fleet_store, analyzer=Analyzer(fleet_store))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        assert server.started
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", watch
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def test_detectors_never_query_beside_api_reads_when_an_analysis_runs(
    served: tuple[str, OverlapWatch],
) -> None:
    base, watch = served
    with httpx.Client(base_url=base, timeout=120) as client:
        # the answer of an analysis nothing else competes with, to compare against
        quiet = client.post("/api/v1/analyses", json={"window": "7d", "dry_run": True})
        assert quiet.status_code == 200, quiet.text
    watch.most_inside = 0
    done = threading.Event()
    failures: list[str] = []
    reads = [0]

    def read() -> None:
        with httpx.Client(base_url=base, timeout=120) as reader:
            while not done.is_set():
                for path in READS:
                    response = reader.get(path)
                    reads[0] += 1
                    if response.status_code != 200:
                        failures.append(f"{path}: {response.status_code} {response.text[:200]}")

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            busy = client.post("/api/v1/analyses", json={"window": "7d", "dry_run": True})
    finally:
        done.set()
        for thread in readers:
            thread.join(timeout=60)
    assert busy.status_code == 200, busy.text
    assert failures == []
    assert reads[0] >= len(READS)
    assert watch.most_inside == 1, "two queries ran in the chDB session at once"
    expected, got = quiet.json(), busy.json()
    assert got["findings"] == expected["findings"] > 0
    assert got["proposals"] == expected["proposals"] and got["data"] == expected["data"]
