"""The UI's tests share one store holding the demo fleet, analysed once per test session.

The fleet goes through the OpenTelemetry SDK, OTLP encoding and the collector's ingest (see
``gapwatch.analyzer.demo.loading``) into its own database on the shared chDB engine; the real
detectors then raise the proposals the pages show.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from analyzer.tests.ui.harness import DemoStore, make_app
from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.demo import FleetOptions
from gapwatch.analyzer.demo.loading import load_fleet
from gapwatch.analyzer.proposals.serialize import proposal_to_dict
from gapwatch.analyzer.proposals.service import ProposalService
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.analyzer.store import Store
from gapwatch.collector import SchemaOptions, connect

SESSIONS = 150  # small and quick to load, yet ten kinds of gap are found in it


@pytest.fixture(scope="session")
def demo(chdb_dir: Path, chdb_admin: Client) -> Iterator[DemoStore]:
    database = f"ui_{uuid.uuid4().hex[:12]}"
    chdb_admin.command(f"CREATE DATABASE `{database}`")
    url = f"chdb://{chdb_dir}?database={database}"
    client = connect(url)
    create_analyzer_schema(client, SchemaOptions(database=database))
    load_fleet(client, FleetOptions(sessions=SESSIONS))
    store = Store(client, database)
    Analyzer(store).run()
    proposals = [proposal_to_dict(p) for p in ProposalService(store).page(limit=500).proposals]
    yield DemoStore(store, url, proposals)
    chdb_admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


@pytest.fixture
def open_ui(demo: DemoStore) -> Iterator[TestClient]:
    """The UI with no tokens configured (loopback default): everyone is an admin."""
    with TestClient(make_app(demo, tokens=False)) as client:
        yield client


@pytest.fixture
def secured_ui(demo: DemoStore) -> Iterator[TestClient]:
    """The UI with one admin and one reader token."""
    with TestClient(make_app(demo, tokens=True)) as client:
        yield client
