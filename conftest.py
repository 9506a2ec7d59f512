"""Fixtures shared by every test folder: one real chDB engine per test process.

chDB holds one data directory per process, so all in-process tests share one directory and
isolate by database: each test that asks for ``database`` gets a fresh one, dropped afterwards.
Tests that need their own directory run the code under test in a subprocess.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.collector import SchemaOptions, connect, create_schema


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture(scope="session")
def chdb_admin(chdb_dir: Path) -> Client:
    """A client on the shared engine, for creating and dropping test databases."""
    return connect(f"chdb://{chdb_dir}")


@pytest.fixture
def database(chdb_admin: Client) -> Iterator[str]:
    """A fresh, empty database on the shared chDB engine."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    chdb_admin.command(f"CREATE DATABASE `{name}`")
    yield name
    chdb_admin.command(f"DROP DATABASE IF EXISTS `{name}` SYNC")


@pytest.fixture
def store_url(chdb_dir: Path, database: str) -> str:
    """A store URL for the shared engine and this test's database."""
    return f"chdb://{chdb_dir}?database={database}"


@pytest.fixture
def ch_client(store_url: str) -> Client:
    """A client on this test's database, with the otel_traces schema created."""
    client = connect(store_url)
    create_schema(client, SchemaOptions(database=client.database))
    return client
