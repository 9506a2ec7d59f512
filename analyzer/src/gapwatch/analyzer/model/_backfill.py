"""Re-run the normalization over stored spans, e.g. after the normalization view changed.

    rebuild_span_facts(client, since=datetime(2026, 1, 1, tzinfo=UTC))

Rows go through ``gapwatch_span_feed`` and so through the one normalization SELECT the live
view uses. The span facts of the period are deleted first, so nothing is counted twice; the
next assembly pass then assembles those traces again and replaces their model rows.
"""

from __future__ import annotations

from datetime import datetime

from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.model._assembly import assemble_traces
from gapwatch.analyzer.model._sql import model_query


def rebuild_span_facts(client: Client, since: datetime, until: datetime | None = None) -> int:
    """Normalize again the spans stored in ``[since, until)``, then assemble their traces;
    returns the span facts of the period."""
    if until is None:
        until = datetime(2262, 1, 1, tzinfo=since.tzinfo)  # where DateTime64(9) ends
    parameters = {"database": client.database, "since": since, "until": until}
    for name in ("rebuild_delete", "rebuild_insert"):
        client.command(model_query(name), parameters=parameters)
    assemble_traces(client, client.database or "default")
    count = client.query(model_query("rebuild_count"), parameters=parameters).result_rows[0][0]
    return int(count)
