"""A chDB database with the full analyzer schema and a seeded fleet, shared by this folder."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.demo.fleet import FleetOptions
from gapwatch.analyzer.demo.loading import load_fleet
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import SchemaOptions, connect

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def seeded(chdb_admin: Client, chdb_dir: object) -> Iterator[Client]:
    name = f"test_dash_{uuid.uuid4().hex[:8]}"
    client = connect(f"chdb://{chdb_dir}?database={name}")
    create_analyzer_schema(client, SchemaOptions(database=name))
    load_fleet(client, FleetOptions(sessions=250, seed=11, now=NOW))
    insert_proposals(client, NOW)
    yield client
    chdb_admin.command(f"DROP DATABASE IF EXISTS `{name}` SYNC")


def insert_proposals(client: Client, now: datetime) -> None:
    """Proposal rows in the contract's shape, one per lifecycle state the panels show."""
    trace = client.query(
        "SELECT any(trace_id) FROM gapwatch_agent_spans WHERE tool = 'lsp_find_references'"
    ).result_rows[0][0]
    rows = [
        ("p-timeout", "timeout_input_correlation", "high", "open", "coder", "lsp_find_references",
         {}),
        ("p-blocked", "permission_blocked", "high", "approved", "coder", "write_file", {}),
        ("p-soft", "soft_failure", "medium", "verified", "researcher", "web_search",
         {"metric": "error_rate", "before": 0.3, "after": 0.05}),
        ("p-regress", "version_regression", "medium", "regressed", "reviewer",
         "post_review_comment", {"metric": "error_rate", "before": 0.04, "after": 0.5}),
        ("p-unused", "unused_tool", "low", "open", "coder", "format_code", {}),
    ]
    columns = ["id", "detector", "detector_version", "type", "priority", "confidence", "status",
               "title", "summary", "subject", "service", "agent", "tool", "target_agent",
               "evidence", "evidence_count", "severity", "proposed_change", "expected_impact",
               "risk", "implemented_version", "implemented_at", "verification", "created_at",
               "updated_at"]
    data = []
    history = []
    for index, (pid, detector, priority, status, agent, tool, verification) in enumerate(rows):
        created = now - timedelta(hours=30 - index)
        implemented = created + timedelta(hours=2) if verification else None
        evidence = {"count": 12 + index, "sessions": 5, "traces": [trace],
                    "first_seen": created.isoformat(), "last_seen": now.isoformat()}
        data.append([pid, detector, 1, "tool_improvement", priority, 0.8, status,
                     f"{tool}: {detector}", "summary", json.dumps({"agent": agent}),
                     "fleet-orchestrator", agent, tool, "", json.dumps(evidence), 12 + index,
                     1.0, "change", "impact", "risk", "2.0.1" if verification else "",
                     implemented, json.dumps(verification), created, now])
        history.append([pid, created, "", "open", "analyzer", "new finding", "{}"])
        if status != "open":
            history.append([pid, created + timedelta(hours=1), "open", status, "alice", "", "{}"])
    client.insert("gapwatch_proposals", data, column_names=columns)
    client.insert("gapwatch_proposal_history", history,
                  column_names=["proposal_id", "at", "from_status", "to_status", "actor",
                                "reason", "details"])
