"""Access to gapwatch's tables: named ``.sql`` queries with bound parameters, and inserts.

    store = open_store(settings)
    rows = store.select(PROPOSALS_SQL, "select_proposal", {"id": proposal_id})

One :class:`Store` is shared by the API's worker threads, the scheduler and the CLI; a lock
serializes calls because an embedded chDB session is not safe to use from several threads at
once, and one short query at a time is plenty for a proposals table.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from importlib import resources
from typing import Any

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError
from clickhouse_connect.driver.query import QueryResult

from gapwatch.analyzer.errors import StoreUnavailable
from gapwatch.analyzer.model import AssemblyStats, assemble_traces
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.analyzer.settings import Settings
from gapwatch.collector.schema import SchemaOptions
from gapwatch.collector.storage import connect

logger = logging.getLogger(__name__)


class Store:
    """A ClickHouse client bound to one database, safe to share between threads."""

    def __init__(self, client: Client, database: str | None = None,
                 assembly_database: str | None = None):
        self.client = client
        self.database = database or client.database or "default"
        self.assembly_database = assembly_database or self.database
        self._lock = threading.RLock()

    def select(
        self, package: str, name: str, parameters: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run ``<package>/sql/<name>.sql`` and return its rows as dicts."""
        params = {"database": self.database, **(parameters or {})}
        text = load_query(package, name)
        try:
            with self._lock:
                result = self.client.query(text, parameters=params)
        except (ClickHouseError, OSError) as error:
            raise StoreUnavailable(f"query {name} failed: {error}") from error
        columns = result.column_names
        return [dict(zip(columns, row, strict=True)) for row in result.result_rows]

    def query(self, query: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        """Run one statement's text under the lock: how detectors read (``DetectionContext``),
        so an analysis never shares the session with an API thread's query."""
        try:
            with self._lock:
                return self.client.query(query, parameters=parameters)
        except (ClickHouseError, OSError) as error:
            raise StoreUnavailable(f"query failed: {error}") from error

    def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
        """Insert ``rows`` into one of gapwatch's own tables in this database."""
        if not rows:
            return
        try:
            with self._lock:
                self.client.insert(
                    table, list(rows), column_names=list(columns), database=self.database
                )
        except (ClickHouseError, OSError) as error:
            raise StoreUnavailable(f"insert into {table} failed: {error}") from error

    def assemble(self, settle: timedelta = timedelta(0)) -> AssemblyStats:
        """Assemble the traces settled ``settle`` ago into the model (see ``model``)."""
        try:
            with self._lock:
                return assemble_traces(self.client, self.assembly_database, settle=settle)
        except (ClickHouseError, OSError) as error:
            raise StoreUnavailable(f"trace assembly failed: {error}") from error

    @contextmanager
    def session(self) -> Iterator[Client]:
        """The client, held for a run of queries no other thread may interleave with (the
        report reads a dozen); ClickHouse errors inside become :class:`StoreUnavailable`."""
        try:
            with self._lock:
                yield self.client
        except (ClickHouseError, OSError) as error:
            raise StoreUnavailable(f"query failed: {error}") from error

    def ping(self) -> bool:
        try:
            with self._lock:
                return bool(self.client.command("SELECT 1") == 1)
        except (ClickHouseError, OSError):
            return False

    def close(self) -> None:
        with self._lock:
            self.client.close()


def open_store(settings: Settings, *, create: bool = True) -> Store:
    """Connect to the configured store and (by default) create or upgrade every table."""
    client = connect(settings.clickhouse_url)
    if create:
        options = SchemaOptions(
            database=settings.database, ttl_days=settings.ttl_days, cluster=settings.cluster
        )
        applied = create_analyzer_schema(client, options)
        if applied:
            logger.info("schema: applied %d migrations", len(applied))
    return Store(client, settings.database, settings.assembly_database)


@functools.cache
def load_query(package: str, name: str) -> str:
    """The text of ``<package>/sql/<name>.sql``, cached."""
    return resources.files(package).joinpath("sql", f"{name}.sql").read_text()
