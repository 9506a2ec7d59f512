from __future__ import annotations

import sys
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.analyzer.store import Store
from gapwatch.collector.schema import SchemaOptions

sys.path.insert(0, str(Path(__file__).parents[1] / "proposals"))
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def store(ch_client: Client) -> Store:
    create_analyzer_schema(ch_client, SchemaOptions(database=ch_client.database, ttl_days=30))
    return Store(ch_client)
