"""Interop tests: real OTLP clients (Python exporters, Node.js SDK) → a real collector → chDB.

The helpers in ``interop_scenario.py`` and ``otlp_json_client.py`` live next to the tests; this
folder is put on ``sys.path`` so the test modules can import them under pytest's importlib mode.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from gapwatch.collector.server import CollectorConfig, CollectorServer  # noqa: E402


@pytest.fixture
def collector(store_url: str, tmp_path: Path) -> Iterator[CollectorServer]:
    """A collector on loopback with ephemeral ports, storing into this test's database.

    Redaction stays at its default (on): the scenario's values are not secret-shaped, so a
    value changed in storage is a finding, not noise.
    """
    server = CollectorServer(
        CollectorConfig(
            store_url=store_url,
            wal_dir=tmp_path / "wal",
            host="127.0.0.1",
            http_port=0,
            grpc_port=0,
            linger_s=0.05,
            fsync=False,
        )
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
