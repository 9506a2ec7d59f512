from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.detectors.base import Finding
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store
from gapwatch.collector.schema import SchemaOptions

sys.path.insert(0, str(Path(__file__).parents[1] / "proposals"))

ADMIN = "admin-token-123"
READER = "reader-token-456"


class Detections:
    """Stands in for the detector set: returns whatever findings the test sets."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def __call__(self, context: object) -> list[Finding]:
        return list(self.findings)


@dataclass
class Api:
    client: TestClient
    store: Store
    detections: Detections


@pytest.fixture
def store(ch_client: Client) -> Store:
    create_analyzer_schema(ch_client, SchemaOptions(database=ch_client.database, ttl_days=30))
    return Store(ch_client)


def make_api(store: Store, store_url: str, **settings: object) -> Iterator[Api]:
    detections = Detections()
    config = Settings(clickhouse_url=store_url, analysis_interval_minutes=0, **settings)
    app = create_app(config, store=store, analyzer=Analyzer(store, detect=detections))
    with TestClient(app) as client:
        yield Api(client, store, detections)


@pytest.fixture
def api(store: Store, store_url: str) -> Iterator[Api]:
    """The app with no tokens (open, as embedded on loopback)."""
    yield from make_api(store, store_url)


@pytest.fixture
def secured(store: Store, store_url: str) -> Iterator[Api]:
    """The app with one admin and one reader token."""
    yield from make_api(store, store_url, admin_tokens=ADMIN, reader_tokens=READER)
