"""Builders shared by the proposal, API, CLI and notification tests: real findings, real rows.

Loaded by each folder's conftest through ``load_factories()`` because the test folders are not
packages (pytest's importlib mode).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.detectors.base import Evidence, Finding, Subject

# recent, so the tables' TTL keeps the rows; whole hours keep expected numbers exact
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=4)

_AGENT_SPAN_DEFAULTS: dict[str, Any] = {
    "trace_id": "", "span_id": "", "parent_span_id": "", "service": "svc", "span_type": "tool",
    "operation": "execute_tool", "span_name": "execute_tool", "agent": "planner",
    "caller_agent": "", "target_agent": "", "tool": "", "outcome": "ok", "error_type": "",
    "duration_ns": 1_000_000, "input_tokens": 10, "output_tokens": 5, "session_id": "s1",
}


def make_finding(
    *,
    detector: str = "tool_failure_hotspot",
    tool: str = "search",
    agent: str = "planner",
    service: str = "svc",
    target_agent: str = "",
    count: int = 10,
    severity: float = 0.5,
    priority: str = "high",
    title: str | None = None,
    proposal_type: str = "tool_improvement",
    now: datetime = NOW,
) -> Finding:
    subject = Subject(service=service, agent=agent, tool=tool, target_agent=target_agent)
    return Finding(
        detector=detector,
        detector_version=1,
        proposal_type=proposal_type,
        priority=priority,
        confidence=0.8,
        subject=subject,
        title=title or f"{tool} fails {count} times",
        summary=f"{tool} failed {count} of {count * 2} calls in {count // 2 + 1} sessions",
        proposed_change=f"Handle the timeout inside {tool} and return partial results",
        expected_impact=f"about {count} fewer failed calls a week",
        risk="low",
        evidence=Evidence(
            count=count,
            sessions=count // 2 + 1,
            traces=tuple(f"{i:032x}" for i in range(min(count, 3))),
            first_seen=now - timedelta(days=2),
            last_seen=now - timedelta(minutes=5),
            window="7d",
            metrics={"error_rate": severity, "calls": count * 2},
            query="SELECT 1",
            parameters={"tool": tool, "since": now - timedelta(days=7)},
        ),
        severity=severity,
    )


def insert_tool_calls(
    client: Client,
    database: str,
    *,
    tool: str,
    start: datetime,
    end: datetime,
    total: int,
    bad: int,
    outcome: str = "error",
    agent: str = "planner",
    service: str = "svc",
) -> None:
    """``total`` tool spans evenly spread over [start, end), the first ``bad`` failed."""
    step = (end - start) / max(total, 1)
    columns = list(_AGENT_SPAN_DEFAULTS) + ["timestamp"]
    rows = []
    for i in range(total):
        row = dict(_AGENT_SPAN_DEFAULTS, tool=tool, agent=agent, service=service,
                   trace_id=f"{i:032x}", span_id=f"{i:016x}", session_id=f"s{i % 7}")
        if i < bad:
            row.update(outcome=outcome, error_type="TimeoutError")
        rows.append([row[c] for c in columns[:-1]] + [start + step * i])
    client.insert("gapwatch_agent_spans", rows, column_names=columns, database=database)
