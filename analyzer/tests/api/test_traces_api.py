"""``GET /api/v1/traces/{trace_id}``: spans of one trace with the model's classification.

The traces are stored once per module (through real OTLP encoding and the collector's ingest)
and read by an open and a secured app over the same store.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from analyzer.tests.spans import SpanRecorder, hours_ago
from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.detectors._sql import placeholders
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store, load_query
from gapwatch.collector import SchemaOptions, connect

ADMIN = {"Authorization": "Bearer admin-token-123"}
READER = {"Authorization": "Bearer reader-token-456"}


@dataclass
class Traces:
    open: TestClient
    secured: TestClient
    delegation: str  # planner → coder, assembled
    unassembled: str  # the same shape, stored without assembly
    one_second: str  # two spans inside one second, late in it


def _delegation(client: Client, seed: int, *, assemble: bool) -> str:
    """planner → coder delegation; coder calls a failing tool and a model; one unrelated trace."""
    recorder = SpanRecorder(seed=seed)
    t0 = hours_ago(2)
    run = recorder.agent_run("planner", start=t0, duration=20, session="s1", task="fix the bug")
    hand = recorder.delegation(run, "planner", "coder", start=t0 + 1, duration=15)
    coder = recorder.agent_run("coder", start=t0 + 1.5, duration=14, parent=hand,
                               error="gave up: tests keep failing")
    recorder.tool_call(coder, "run_tests", start=t0 + 2, duration=3,
                       error="AssertionError: 3 failed", error_type="AssertionError")
    recorder.llm_call(coder, start=t0 + 6, duration=1, input_tokens=120, output_tokens=30)
    recorder.agent_run("other", start=t0, duration=1, session="s2")  # a second trace
    recorder.store(client, assemble=assemble)
    return format(run.get_span_context().trace_id, "032x")


def _one_second(client: Client) -> str:
    """The lookup table keeps whole seconds: both spans start late in the trace's only one."""
    recorder = SpanRecorder(seed=5)
    t0 = hours_ago(3) + 0.8
    run = recorder.agent_run("planner", start=t0, duration=0.05, session="s9")
    recorder.llm_call(run, start=t0 + 0.02, duration=0.01)
    recorder.store(client)
    return format(run.get_span_context().trace_id, "032x")


@pytest.fixture(scope="module")
def traces(chdb_dir: Path, chdb_admin: Client) -> Iterator[Traces]:
    database = f"traces_{uuid.uuid4().hex[:12]}"
    chdb_admin.command(f"CREATE DATABASE `{database}`")
    url = f"chdb://{chdb_dir}?database={database}"
    client = connect(url)
    create_analyzer_schema(client, SchemaOptions(database=database))
    delegation, one_second = _delegation(client, 11, assemble=True), _one_second(client)
    unassembled = _delegation(client, 12, assemble=False)
    store = Store(client, database)

    def app(**tokens: str) -> TestClient:
        # no background assembly: one trace must stay unassembled
        settings = Settings(clickhouse_url=url, analysis_interval_minutes=0,
                            assembly_interval_seconds=0, **tokens)
        return TestClient(create_app(settings, store=store, analyzer=Analyzer(store)))

    with app() as open_client, app(admin_tokens="admin-token-123",
                                   reader_tokens="reader-token-456") as secured:
        yield Traces(open_client, secured, delegation, unassembled, one_second)
    chdb_admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def test_trace_lists_spans_oldest_first_with_model_reading(traces: Traces) -> None:
    trace_id = traces.delegation
    response = traces.open.get(f"/api/v1/traces/{trace_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["trace_id"] == trace_id and body["truncated"] is False
    spans = body["spans"]
    assert [s["name"] for s in spans] == [
        "invoke_agent planner", "invoke_agent coder", "invoke_agent coder",
        "execute_tool run_tests", "chat gpt-4o",
    ]
    starts = [datetime.fromisoformat(s["start"]) for s in spans]
    assert starts == sorted(starts) and starts[0].tzinfo is not None
    root, hand, coder, tool, llm = spans
    assert root["parent_span_id"] == "" and hand["parent_span_id"] == root["span_id"]
    assert (root["kind"], root["agent"]) == ("agent", "planner")
    assert (hand["kind"], hand["agent"], hand["target_agent"]) == ("delegation", "planner", "coder")
    # the tool and the model call belong to the agent that ran them (assembled, not own attrs)
    assert (tool["kind"], tool["agent"], tool["tool"], tool["outcome"]) == (
        "tool", "coder", "run_tests", "error")
    assert tool["status_code"] == "Error" and tool["status_message"] == "AssertionError: 3 failed"
    assert tool["error_type"] == "AssertionError" and tool["duration_ms"] == 3000.0
    assert tool["attributes"]["gen_ai.tool.name"] == "run_tests"
    assert [e["name"] for e in tool["events"]] == ["exception"]
    assert tool["events"][0]["attributes"]["exception.type"] == "AssertionError"
    assert (llm["kind"], llm["agent"], llm["input_tokens"], llm["output_tokens"]) == (
        "llm", "coder", 120, 30)
    # a delegation takes its callee run's outcome
    assert (coder["outcome"], hand["outcome"]) == ("error", "error")


def test_trace_falls_back_to_span_facts_before_assembly(traces: Traces) -> None:
    trace_id = traces.unassembled
    spans = traces.open.get(f"/api/v1/traces/{trace_id}").json()["spans"]
    tool = next(s for s in spans if s["name"] == "execute_tool run_tests")
    # not yet assembled: the span's own facts still say what it is and how it ended, but not
    # yet which agent owns it (the tool span names none; assembly finds its agent ancestor)
    assert (tool["kind"], tool["tool"], tool["outcome"]) == ("tool", "run_tests", "error")
    assert tool["agent"] == ""
    planner = next(s for s in spans if s["name"] == "invoke_agent planner")
    assert (planner["kind"], planner["agent"]) == ("agent", "planner")


def test_trace_is_cut_at_limit_and_says_so(traces: Traces) -> None:
    trace_id = traces.delegation
    body = traces.open.get(f"/api/v1/traces/{trace_id}?limit=2").json()
    assert body["truncated"] is True
    assert [s["name"] for s in body["spans"]] == ["invoke_agent planner", "invoke_agent coder"]
    exact = traces.open.get(f"/api/v1/traces/{trace_id}?limit=5").json()
    assert exact["truncated"] is False and len(exact["spans"]) == 5


def test_trace_id_is_read_case_insensitively(traces: Traces) -> None:
    trace_id = traces.delegation
    body = traces.open.get(f"/api/v1/traces/{trace_id.upper()}").json()
    assert body["trace_id"] == trace_id and len(body["spans"]) == 5


def test_unknown_trace_is_404_problem(traces: Traces) -> None:
    response = traces.open.get("/api/v1/traces/" + "ab" * 16)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Trace not found"


def test_malformed_trace_id_and_limit_are_422(traces: Traces) -> None:
    assert traces.open.get("/api/v1/traces/not-a-trace").status_code == 422
    assert traces.open.get("/api/v1/traces/" + "g" * 32).status_code == 422
    assert traces.open.get("/api/v1/traces/" + "ab" * 16 + "?limit=0").status_code == 422
    assert traces.open.get("/api/v1/traces/" + "ab" * 16 + "?limit=10001").status_code == 422


def test_trace_needs_a_reader_token_when_tokens_are_set(traces: Traces) -> None:
    trace_id = traces.delegation
    assert traces.secured.get(f"/api/v1/traces/{trace_id}").status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert traces.secured.get(f"/api/v1/traces/{trace_id}", headers=bad).status_code == 401
    for token in (READER, ADMIN):
        assert traces.secured.get(f"/api/v1/traces/{trace_id}", headers=token).status_code == 200


def test_trace_sql_binds_exactly_what_the_route_passes() -> None:
    sql = load_query("gapwatch.analyzer.routes", "trace_spans")
    assert set(placeholders(sql)) == {"database", "trace_id", "limit"}
    assert sql.startswith("-- Returns") and sql.splitlines()[1].startswith("-- Parameters:")


def test_trace_within_one_second_is_found_whole(traces: Traces) -> None:
    body = traces.open.get(f"/api/v1/traces/{traces.one_second}").json()
    assert [s["name"] for s in body.get("spans", [])] == ["invoke_agent planner", "chat gpt-4o"]
