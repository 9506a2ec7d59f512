"""Conformance suite: real agent frameworks under their own OpenTelemetry instrumentation.

Each test starts its own ``gapwatch serve`` (its own chDB directory), runs one scenario script
in a subprocess against it, and holds the proposals to the scenario's ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import GapwatchServer


@pytest.fixture
def gapwatch_server(tmp_path: Path) -> Iterator[GapwatchServer]:
    with GapwatchServer(tmp_path / "data") as server:
        yield server
