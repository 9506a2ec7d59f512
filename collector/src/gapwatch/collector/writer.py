"""Insert flattened spans into ``otel_traces``, each batch under a deduplication token.

    writer = ClickHouseSpanWriter(client)
    writer.write(columns, token="wal-000042")
"""

from __future__ import annotations

import logging
from typing import Protocol

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from gapwatch.collector.flatten import INSERT_COLUMNS, SpanColumns, row_count
from gapwatch.collector.insert_errors import classify_insert_error

TRACES_TABLE = "otel_traces"
# every insert carries a token as well (insert_deduplication_token), so a repeat is a no-op;
# the trace-id lookup view must not count a deduplicated block twice either
DEDUPLICATION_SETTINGS: dict[str, int] = {
    "insert_deduplicate": 1,
    "deduplicate_blocks_in_dependent_materialized_views": 1,
}

logger = logging.getLogger(__name__)


class SpanWriter(Protocol):
    """Ships flattened spans to storage. ``token`` makes a repeated write a no-op.

    Raises :class:`~gapwatch.collector.errors.StorageUnavailable` (retry later) or
    :class:`~gapwatch.collector.errors.UnstorableData` (these rows will never store)."""

    def write(self, columns: SpanColumns, token: str) -> None: ...


class ClickHouseSpanWriter:
    def __init__(self, client: Client, table: str = TRACES_TABLE):
        self._client = client
        self._table = table

    def write(self, columns: SpanColumns, token: str) -> None:
        if row_count(columns) == 0:
            return
        try:
            self._client.insert(
                self._table,
                [columns[name] for name in INSERT_COLUMNS],
                column_names=list(INSERT_COLUMNS),
                column_oriented=True,
                settings={**DEDUPLICATION_SETTINGS, "insert_deduplication_token": token},
            )
        except (ClickHouseError, OSError, OverflowError, ValueError) as error:
            raise classify_insert_error(error, f"insert into {self._table} failed") from error
