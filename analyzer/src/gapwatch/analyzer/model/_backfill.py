"""Re-run the normalization over stored spans, e.g. after the normalization view changed.

    rebuild_agent_spans(client, since=datetime(2026, 1, 1, tzinfo=UTC))

Rows go through ``gapwatch_span_feed`` and so through the one normalization SELECT the live
view uses. The model rows of the period (whole hours, so the hourly rollup stays exact) are
deleted first, so nothing is counted twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources

from clickhouse_connect.driver.client import Client


def rebuild_agent_spans(client: Client, since: datetime, until: datetime | None = None) -> int:
    """Normalize again the spans stored in ``[since, until)``; returns the rows of the model."""
    since = since.replace(minute=0, second=0, microsecond=0)
    if until is None:
        until = datetime(2106, 1, 1, tzinfo=since.tzinfo)  # the hourly DateTime ends in 2106
    elif until != until.replace(minute=0, second=0, microsecond=0):
        until = until.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    parameters = {"database": client.database, "since": since, "until": until}
    for name in ("rebuild_delete.sql", "rebuild_insert.sql"):
        for statement in _sql(name).split("\n;\n"):
            client.command(statement, parameters=parameters)
    count = client.query(_sql("rebuild_count.sql"), parameters=parameters).result_rows[0][0]
    return int(count)


def _sql(name: str) -> str:
    return resources.files(__package__).joinpath("sql", name).read_text()
