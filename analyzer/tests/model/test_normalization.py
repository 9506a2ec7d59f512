"""The normalization view: every convention family lands in the same columns.

All spans are recorded by the OpenTelemetry SDK, encoded as OTLP and stored by the collector;
one store is shared by the module. Only the legacy status/kind strings, which no current SDK
or exporter writes, are inserted as rows the way old exporter builds wrote them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.trace import SpanKind, StatusCode

from analyzer.tests.spans import (
    SpanEvent,
    SpanRecorder,
    drop_database,
    hours_ago,
    open_analyzer_store,
)
from gapwatch.analyzer.model import assemble_traces, rebuild_span_facts
from gapwatch.semconv import attributes as attr

T0 = hours_ago(5)


def _record(recorder: SpanRecorder) -> None:
    # newest GenAI shape, through the helpers
    run = recorder.agent_run(
        "planner",
        start=T0,
        duration=60,
        session="s-genai",
        task="Book a flight to Rome",
        user="u1",
        version="1.4.0",
        prompt_version="p7",
        offered_tools=["search", "book"],
        feedback=-1,
        corrections=2,
    )
    recorder.tool_call(
        run,
        "search",
        start=T0 + 1,
        duration=2,
        agent="planner",
        session="s-genai",
        arguments={"q": "rome"},
        input_size=120,
        input_unit="lines",
        attempt=2,
    )
    recorder.tool_call(
        run,
        "read_file",
        start=T0 + 3,
        duration=30,
        agent="planner",
        session="s-genai",
        error="Reading /home/ana/big.log took longer than 30s: timed out",
        error_type="TimeoutError",
    )
    recorder.tool_call(
        run,
        "write",
        start=T0 + 4,
        duration=1,
        agent="planner",
        session="s-genai",
        arguments={"path": "src/app/test.ts"},
        error="PermissionError: write to src/app/test.ts is not permitted for this agent",
    )
    recorder.tool_call(
        run,
        "deploy",
        start=T0 + 5,
        duration=1,
        agent="planner",
        session="s-genai",
        outcome="blocked",
        blocked_reason="prometheus-md-only",
        desired_capability="deploy to staging",
    )
    recorder.tool_call(
        run,
        "fetch",
        start=T0 + 6,
        duration=1,
        agent="planner",
        session="s-genai",
        result={"error": "page 'x' not found", "status": 404},
    )
    recorder.delegation(
        run,
        "planner",
        "explore",
        start=T0 + 7,
        duration=5,
        category="quick",
        session="s-genai",
        error="explore crashed",
    )
    # agent-as-a-tool transfer (execute_tool with the transfer refinement)
    recorder.span(
        "execute_tool handoff researcher",
        start=T0 + 8,
        duration=4,
        parent=run,
        attributes={
            attr.GEN_AI_OPERATION_NAME: "execute_tool",
            attr.GEN_AI_TOOL_NAME: "handoff",
            attr.GEN_AI_AGENT_NAME: "planner",
            attr.GEN_AI_TRANSFER_TARGET_NAME: "researcher",
            attr.GEN_AI_TRANSFER_MODE: "return_to_caller",
        },
    )
    recorder.llm_call(
        run,
        start=T0 + 9,
        duration=1,
        model="gpt-4o",
        input_tokens=1200,
        output_tokens=80,
        cached_tokens=1000,
        offered_tools=["search", "book"],
    )
    # handled exception: recorded, but the span says OK
    recorder.span(
        "execute_tool lookup",
        start=T0 + 10,
        duration=1,
        parent=run,
        attributes={attr.GEN_AI_OPERATION_NAME: "execute_tool", attr.GEN_AI_TOOL_NAME: "lookup"},
        exception=KeyError("cache miss"),
        status=StatusCode.OK,
    )

    # older GenAI names: no operation name, gen_ai.system, prompt/completion tokens
    recorder.span(
        "chat gpt-3.5-turbo",
        start=T0 + 20,
        duration=1,
        kind=SpanKind.CLIENT,
        service="legacy-genai",
        attributes={
            "gen_ai.system": "openai",
            attr.GEN_AI_REQUEST_MODEL: "gpt-3.5-turbo",
            "gen_ai.usage.prompt_tokens": 11,
            "gen_ai.usage.completion_tokens": 5,
        },
    )

    # OpenInference
    oi_agent = recorder.span(
        "support agent",
        start=T0 + 30,
        duration=10,
        service="oi-app",
        attributes={
            "openinference.span.kind": "AGENT",
            "agent.name": "support",
            "session.id": "s-oi",
            "user.id": "u-oi",
            "input.value": "Why was I charged twice?",
        },
    )
    recorder.span(
        "lookup_invoice",
        start=T0 + 31,
        duration=1,
        parent=oi_agent,
        service="oi-app",
        attributes={
            "openinference.span.kind": "TOOL",
            "tool.name": "lookup_invoice",
            "session.id": "s-oi",
            "input.value": json.dumps({"invoice": "A-17"}),
            "input.mime_type": "application/json",
            "output.value": '{"success": false}',
        },
    )
    recorder.span(
        "ChatCompletion",
        start=T0 + 32,
        duration=1,
        parent=oi_agent,
        service="oi-app",
        attributes={
            "openinference.span.kind": "LLM",
            "llm.model_name": "claude-sonnet",
            "llm.token_count.prompt": 300,
            "llm.token_count.completion": 40,
            "llm.token_count.prompt_details.cache_read": 100,
            "llm.tools.0.tool.json_schema": json.dumps(
                {"type": "function", "function": {"name": "lookup_invoice"}}
            ),
            "llm.tools.1.tool.json_schema": json.dumps(
                {"type": "function", "function": {"name": "refund"}}
            ),
        },
    )

    # OpenLLMetry / Traceloop
    tl_agent = recorder.span(
        "researcher.agent",
        start=T0 + 40,
        duration=10,
        service="tl-app",
        attributes={
            "traceloop.span.kind": "agent",
            "traceloop.entity.name": "researcher",
            "traceloop.association.properties.session_id": "s-tl",
            "traceloop.association.properties.user_id": "u-tl",
            "traceloop.entity.input": '{"args": ["compare GPU prices"], "kwargs": {}}',
        },
    )
    recorder.span(
        "web_search.tool",
        start=T0 + 41,
        duration=2,
        parent=tl_agent,
        service="tl-app",
        status=StatusCode.ERROR,
        status_message="HTTP 403 Forbidden for /search",
        attributes={
            "traceloop.span.kind": "tool",
            "traceloop.entity.name": "web_search",
            "traceloop.entity.input": '{"args": ["gpu"], "kwargs": {}}',
        },
    )
    recorder.span(
        "openai.chat",
        start=T0 + 43,
        duration=1,
        parent=tl_agent,
        service="tl-app",
        kind=SpanKind.CLIENT,
        attributes={
            "llm.request.type": "chat",
            "gen_ai.system": "openai",
            "gen_ai.usage.prompt_tokens": 500,
            "gen_ai.usage.completion_tokens": 60,
            "gen_ai.usage.cache_read_input_tokens": 200,
            "llm.request.functions.0.name": "web_search",
        },
    )

    # MCP tool call, tool name only in the span name, error payload in the result
    recorder.span(
        "tools/call get_weather",
        start=T0 + 50,
        duration=1,
        kind=SpanKind.CLIENT,
        service="mcp-client",
        attributes={
            "mcp.method.name": "tools/call",
            "mcp.session.id": "s-mcp",
            attr.GEN_AI_TOOL_CALL_RESULT: json.dumps(
                {"content": [{"type": "text", "text": "City 'Xyz' not found"}], "isError": True}
            ),
        },
    )
    recorder.span(
        "resources/read",
        start=T0 + 51,
        duration=1,
        kind=SpanKind.CLIENT,
        service="mcp-client",
        attributes={"mcp.method.name": "resources/read"},
    )

    # only the span name says what this is
    recorder.span("execute_tool grep", start=T0 + 60, duration=1, service="bare")
    recorder.span("GET /healthz", start=T0 + 61, duration=1, service="bare")

    # feedback and corrections on a tool span
    recorder.tool_call(
        None,
        "summarize",
        start=T0 + 70,
        duration=1,
        service="fb",
        extra={},
        feedback=4.0,
        # a rating arrives as an event; corrections count events
        corrections=1,
    )
    recorder.span(
        "execute_tool approve",
        start=T0 + 71,
        duration=1,
        service="fb",
        attributes={attr.GEN_AI_OPERATION_NAME: "execute_tool", attr.GEN_AI_TOOL_NAME: "approve"},
        events=[
            SpanEvent(
                attr.EVENT_BLOCKED,
                {
                    attr.GAPWATCH_BLOCKED_REASON: "needs admin",
                    attr.GAPWATCH_DESIRED_CAPABILITY: "approve refunds",
                },
            )
        ],
    )


@pytest.fixture(scope="module")
def store(chdb_dir: Path) -> Iterator[Client]:
    client = open_analyzer_store(chdb_dir, "test_model_normalization")
    recorder = SpanRecorder(seed=11)
    _record(recorder)
    recorder.store(client, assemble=False)
    _insert_legacy_rows(client)
    assemble_traces(client, "test_model_normalization")
    yield client
    drop_database(client)


def _insert_legacy_rows(client: Client) -> None:
    """Rows as old exporter builds wrote them: proto enum names for kind and status."""
    ts = int((T0 + 80) * 1e9)
    rows = [
        [
            ts,
            "ab" * 16,
            "01" * 8,
            "",
            "",
            "execute_tool old_tool",
            "SPAN_KIND_INTERNAL",
            "legacy",
            {},
            "",
            "",
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "old_tool"},
            5_000_000,
            "STATUS_CODE_ERROR",
            "connection reset by peer",
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        ],
        [
            ts,
            "ab" * 16,
            "02" * 8,
            "01" * 8,
            "",
            "invoke_agent boss",
            "SPAN_KIND_CLIENT",
            "legacy",
            {},
            "",
            "",
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "boss",
                "gen_ai.caller.name": "intern",
            },
            5_000_000,
            "STATUS_CODE_OK",
            "",
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        ],
    ]
    from gapwatch.collector.flatten import INSERT_COLUMNS

    client.insert("otel_traces", rows, column_names=list(INSERT_COLUMNS))


def _row(client: Client, where: str, **parameters: Any) -> dict[str, Any]:
    result = client.query(
        f"SELECT * FROM gapwatch_agent_spans WHERE {where}", parameters=parameters
    )
    assert len(result.result_rows) == 1, (where, result.result_rows)
    return dict(zip(result.column_names, result.result_rows[0], strict=True))


def test_genai_agent_run_carries_session_versions_task_and_feedback(store: Client) -> None:
    row = _row(store, "span_type = 'agent' AND agent = 'planner'")
    assert row["operation"] == "invoke_agent"
    assert row["source"] == "genai"
    assert (row["session_id"], row["user_id"]) == ("s-genai", "u1")
    assert (row["agent_version"], row["prompt_version"]) == ("1.4.0", "p7")
    assert row["request_text"] == "Book a flight to Rome"
    assert row["offered_tools"] == ["search", "book"]
    assert row["feedback_score"] == -1.0 and row["corrections"] == 2
    assert row["outcome"] == "ok" and row["error_fingerprint"] == ""
    assert row["service_version"] == ""


def test_genai_tool_call_reads_arguments_input_size_and_attempt(store: Client) -> None:
    row = _row(store, "tool = 'search'")
    assert (row["span_type"], row["agent"], row["outcome"]) == ("tool", "planner", "ok")
    assert (row["input_size"], row["input_unit"], row["attempt"]) == (120.0, "lines", 2)
    assert row["arguments_hash"] != 0
    assert row["duration_ns"] == 2_000_000_000


def test_timeout_is_classified_from_the_message_and_masked(store: Client) -> None:
    row = _row(store, "tool = 'read_file'")
    assert row["outcome"] == "timeout"
    assert row["error_type"] == "TimeoutError"
    assert row["error_fingerprint"] == "Reading <path> took longer than <n>s: timed out"


def test_permission_refusal_is_blocked_with_the_resource(store: Client) -> None:
    row = _row(store, "tool = 'write'")
    assert row["outcome"] == "blocked"
    assert row["resource"] == "src/app/test.ts"
    assert "not permitted" in row["blocked_reason"]


def test_explicit_outcome_and_blocked_event_win(store: Client) -> None:
    deploy = _row(store, "tool = 'deploy'")
    assert (deploy["outcome"], deploy["blocked_reason"]) == ("blocked", "prometheus-md-only")
    assert deploy["desired_capability"] == "deploy to staging"
    approve = _row(store, "tool = 'approve'")
    assert (approve["outcome"], approve["blocked_reason"]) == ("blocked", "needs admin")
    assert approve["desired_capability"] == "approve refunds"


def test_error_payload_on_an_ok_span_is_a_soft_error(store: Client) -> None:
    row = _row(store, "tool = 'fetch'")
    assert row["outcome"] == "soft_error"
    assert row["error_fingerprint"] == "page <str> not found"


def test_handled_exception_on_an_ok_span_stays_ok(store: Client) -> None:
    assert _row(store, "tool = 'lookup'")["outcome"] == "ok"


def test_client_invoke_agent_is_a_delegation_from_caller_to_target(store: Client) -> None:
    row = _row(store, "span_type = 'delegation' AND target_agent = 'explore'")
    # a delegation row belongs to the agent that delegated
    assert (row["caller_agent"], row["agent"]) == ("planner", "planner")
    assert (row["delegation_category"], row["outcome"]) == ("quick", "error")


def test_transfer_tool_is_a_delegation_by_the_executing_agent(store: Client) -> None:
    row = _row(store, "target_agent = 'researcher'")
    assert (row["span_type"], row["caller_agent"], row["tool"]) == (
        "delegation",
        "planner",
        "handoff",
    )


def test_llm_tokens_and_offered_tools(store: Client) -> None:
    row = _row(store, "span_type = 'llm' AND model = 'gpt-4o'")
    assert (row["input_tokens"], row["output_tokens"], row["cached_tokens"]) == (1200, 80, 1000)
    assert row["offered_tools"] == ["search", "book"]


def test_older_genai_names(store: Client) -> None:
    row = _row(store, "service = 'legacy-genai'")
    assert (row["span_type"], row["operation"], row["source"]) == ("llm", "chat", "genai")
    assert (row["input_tokens"], row["output_tokens"]) == (11, 5)


def test_openinference_spans(store: Client) -> None:
    agent = _row(store, "service = 'oi-app' AND span_type = 'agent'")
    assert (agent["agent"], agent["session_id"], agent["user_id"]) == ("support", "s-oi", "u-oi")
    assert agent["request_text"] == "Why was I charged twice?"
    assert agent["source"] == "openinference"
    tool = _row(store, "service = 'oi-app' AND span_type = 'tool'")
    assert (tool["tool"], tool["outcome"], tool["session_id"]) == (
        "lookup_invoice",
        "soft_error",
        "s-oi",
    )
    assert tool["arguments_hash"] != 0
    llm = _row(store, "service = 'oi-app' AND span_type = 'llm'")
    assert (llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("claude-sonnet", 300, 40)
    assert llm["cached_tokens"] == 100
    assert llm["offered_tools"] == ["lookup_invoice", "refund"]


def test_openllmetry_spans(store: Client) -> None:
    agent = _row(store, "service = 'tl-app' AND span_type = 'agent'")
    assert (agent["agent"], agent["session_id"], agent["user_id"]) == ("researcher", "s-tl", "u-tl")
    assert "compare GPU prices" in agent["request_text"]
    assert agent["source"] == "openllmetry"
    tool = _row(store, "service = 'tl-app' AND span_type = 'tool'")
    assert (tool["tool"], tool["outcome"]) == ("web_search", "blocked")
    assert tool["error_fingerprint"] == "HTTP <n> Forbidden for <path>"
    llm = _row(store, "service = 'tl-app' AND span_type = 'llm'")
    assert (llm["input_tokens"], llm["output_tokens"], llm["cached_tokens"]) == (500, 60, 200)
    assert llm["offered_tools"] == ["web_search"]


def test_mcp_tool_call_and_non_tool_methods(store: Client) -> None:
    row = _row(store, "service = 'mcp-client'")  # resources/read is not a tool call
    assert (row["span_type"], row["tool"], row["source"]) == ("tool", "get_weather", "mcp")
    assert row["session_id"] == "s-mcp"
    assert (row["outcome"], row["error_fingerprint"]) == ("soft_error", "City <str> not found")


def test_span_name_heuristics_and_unrelated_spans(store: Client) -> None:
    row = _row(store, "service = 'bare'")  # GET /healthz is not an agent span
    assert (row["span_type"], row["tool"], row["source"]) == ("tool", "grep", "name")


def test_feedback_rating_and_corrections_on_a_tool_span(store: Client) -> None:
    row = _row(store, "tool = 'summarize'")
    assert (row["feedback_score"], row["corrections"]) == (4.0, 1)


def test_legacy_status_and_kind_strings(store: Client) -> None:
    tool = _row(store, "service = 'legacy' AND span_type = 'tool'")
    assert (tool["tool"], tool["outcome"]) == ("old_tool", "error")
    assert tool["error_fingerprint"] == "connection reset by peer"
    delegation = _row(store, "service = 'legacy' AND span_type = 'delegation'")
    assert (delegation["caller_agent"], delegation["target_agent"]) == ("intern", "boss")
    assert delegation["outcome"] == "ok"


def test_every_table_has_a_ttl(store: Client) -> None:
    for table in ("gapwatch_agent_spans", "gapwatch_span_facts", "gapwatch_trace_arrivals"):
        (ddl,) = store.query(f"SHOW CREATE TABLE {table}").result_rows[0]
        assert "TTL" in ddl, table


def test_rebuild_renormalizes_without_double_counting(store: Client) -> None:
    rows = "SELECT count(), sum(duration_ns) FROM gapwatch_agent_spans"
    before = store.query(rows).result_rows[0]
    (facts,) = store.query("SELECT count() FROM gapwatch_span_facts FINAL").result_rows[0]
    since = datetime.fromtimestamp(T0 - 3600, UTC)
    assert rebuild_span_facts(store, since) == facts
    assert store.query(rows).result_rows[0] == before


def test_backfill_normalizes_spans_stored_before_the_model(chdb_dir: Path) -> None:
    from gapwatch.collector import SchemaOptions, connect, create_schema

    name = "test_model_backfill"
    client = connect(f"chdb://{chdb_dir}?database={name}")
    try:
        create_schema(client, SchemaOptions(database=name))
        recorder = SpanRecorder(seed=12)
        run = recorder.agent_run("early", start=T0, duration=5, session="s-early")
        recorder.tool_call(run, "probe", start=T0 + 1, duration=1, agent="early", error="boom")
        recorder.store(client, assemble=False)
        from gapwatch.analyzer.schema import create_analyzer_schema

        create_analyzer_schema(client, SchemaOptions(database=name))
        assemble_traces(client, name)
        rows = client.query(
            "SELECT span_type, outcome FROM gapwatch_agent_spans ORDER BY timestamp"
        ).result_rows
        assert rows == [("agent", "ok"), ("tool", "error")]
    finally:
        drop_database(client)
