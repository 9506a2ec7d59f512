from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gapwatch.collector import CollectorConfig, CollectorServer


@pytest.fixture
def make_server(store_url: str, tmp_path: Path) -> Iterator[type[CollectorServer] | object]:
    """Factory for in-process collectors on loopback with free ports, stopped at teardown."""
    started: list[CollectorServer] = []

    def factory(**overrides: object) -> CollectorServer:
        options: dict[str, object] = {
            "store_url": store_url,
            "wal_dir": tmp_path / f"wal{len(started)}",
            "http_port": 0,
            "grpc_port": 0,
            "linger_s": 0.02,
        }
        options.update(overrides)
        server = CollectorServer(CollectorConfig(**options))  # type: ignore[arg-type]
        server.start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop(drain_timeout_s=2)


@pytest.fixture
def server(make_server):  # type: ignore[no-untyped-def]
    return make_server()
