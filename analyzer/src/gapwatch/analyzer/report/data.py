"""Everything the review report shows, read from the store for a window and the one before it.

    data = collect_report(client, window="7d")

Spans come from ``gapwatch_agent_spans``, proposals from ``gapwatch_proposals`` (the stable
tables of docs/data-model.md); every statement is a ``.sql`` file beside this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.windows import parse_window


@dataclass(frozen=True)
class ReportData:
    window: str
    since: datetime
    until: datetime
    previous_since: datetime
    totals: dict[str, float]
    previous_totals: dict[str, float]
    patterns: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    previous_tools: dict[tuple[str, str], dict[str, Any]]
    delegations: list[dict[str, Any]]
    previous_delegations: dict[tuple[str, str], dict[str, Any]]
    error_series: list[dict[str, Any]]
    timeout_points: list[dict[str, Any]]
    proposals: list[dict[str, Any]] = field(default_factory=list)


def collect_report(client: Client, window: str = "7d", now: datetime | None = None) -> ReportData:
    length = parse_window(window)
    until = now or datetime.now(UTC)
    since = until - length
    before = since - length
    current = {"since": since, "until": until}
    previous = {"since": before, "until": since}
    # about 14 points per series: finer buckets hold too few calls for a steady rate
    bucket_s = max(int(length.total_seconds() // 14), 60)
    return ReportData(
        window=window,
        since=since,
        until=until,
        previous_since=before,
        totals=_rows(client, "totals", current)[0],
        previous_totals=_rows(client, "totals", previous)[0],
        patterns=_patterns(client, current),
        tools=_rows(client, "tool_scorecard", current),
        previous_tools=_keyed(_rows(client, "tool_scorecard", previous), "agent", "tool"),
        delegations=_rows(client, "delegation_scorecard", current),
        previous_delegations=_keyed(
            _rows(client, "delegation_scorecard", previous), "caller_agent", "target_agent"
        ),
        error_series=_rows(client, "error_rate_series", {**current, "bucket_s": bucket_s}),
        timeout_points=_rows(client, "timeouts_by_size", {**current, "limit": 3000}),
        proposals=_proposals(client),
    )


def _patterns(client: Client, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    return _rows(client, "failure_patterns", {**parameters, "limit": 10})


def _proposals(client: Client) -> list[dict[str, Any]]:
    proposals = _rows(client, "proposals", {})
    for proposal in proposals:
        proposal["evidence"] = _json(proposal["evidence"])
        proposal["verification"] = _json(proposal["verification"])
    return proposals


def _rows(client: Client, name: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    result = client.query(_sql(name), parameters=parameters)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def _keyed(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row[keys[0]], row[keys[1]]): row for row in rows}


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


@cache
def _sql(name: str) -> str:
    return resources.files(__package__).joinpath("sql", f"{name}.sql").read_text("utf-8")
