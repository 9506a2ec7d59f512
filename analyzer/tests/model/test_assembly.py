"""Trace assembly: what needs the whole trace — owning agent, runs, delegations, one row per call.

Spans are recorded by the OpenTelemetry SDK in the shapes frameworks emit (bare tool spans under
an agent, sub-agents under a caller's tool span, handoffs beside their target, wrappers around
runs, MCP client and server spans), stored by the collector, then assembled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.trace import SpanKind, StatusCode

from analyzer.tests.spans import SpanRecorder, drop_database, hours_ago, open_analyzer_store
from gapwatch.analyzer.model import assemble_traces

T0 = hours_ago(3)


def _agent(recorder: SpanRecorder, name: str, start: float, parent: Any = None,
           error: str | None = None, **attributes: Any) -> Any:
    return recorder.span(
        f"invoke_agent {name}", start=start, duration=10, parent=parent,
        attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name,
                    **attributes},
        status=StatusCode.ERROR if error else StatusCode.UNSET, status_message=error)


def _tool(recorder: SpanRecorder, name: str, start: float, parent: Any, *,
          error: str | None = None, kind: SpanKind = SpanKind.INTERNAL,
          attributes: dict[str, Any] | None = None, span_name: str | None = None) -> Any:
    return recorder.span(
        span_name or f"execute_tool {name}", start=start, duration=1, parent=parent, kind=kind,
        attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name,
                    **(attributes or {})},
        status=StatusCode.ERROR if error else StatusCode.UNSET, status_message=error)


def _rows(client: Client, where: str) -> list[dict[str, Any]]:
    result = client.query(f"SELECT * FROM gapwatch_agent_spans WHERE {where} ORDER BY timestamp")
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


@pytest.fixture(scope="module")
def store(chdb_dir: Path) -> Iterator[Client]:
    client = open_analyzer_store(chdb_dir, "test_model_assembly")
    yield client
    drop_database(client)


def test_a_tool_span_without_an_agent_belongs_to_the_nearest_agent_run(store: Client) -> None:
    recorder = SpanRecorder(seed=1)
    run = _agent(recorder, "owner-a", T0, **{"gen_ai.conversation.id": "s-own"})
    # a framework step between the agent and its tool (a LangGraph node, a chain)
    step = recorder.span("tools", start=T0 + 1, duration=3, parent=run)
    _tool(recorder, "grep-a", T0 + 2, step, error="grep failed")
    recorder.store(store)
    (tool,) = _rows(store, "tool = 'grep-a'")
    (agent,) = _rows(store, "span_type = 'agent' AND agent = 'owner-a'")
    assert (tool["agent"], tool["outcome"]) == ("owner-a", "error")
    assert tool["run_id"] == agent["span_id"]
    assert tool["session_id"] == "s-own"  # the trace's session, though the tool span has none
    assert (agent["outcome"], agent["caller_agent"], agent["parent_run_id"]) == ("ok", "", "")


def test_a_sub_agent_under_a_tool_span_makes_that_tool_a_delegation(store: Client) -> None:
    recorder = SpanRecorder(seed=2)
    boss = _agent(recorder, "boss-b", T0)
    vehicle = _tool(recorder, "ask_helper", T0 + 1, boss, error="helper could not do it")
    _agent(recorder, "helper-b", T0 + 2, parent=vehicle, error="ValueError: no such file")
    recorder.store(store)
    (delegation,) = _rows(store, "tool = 'ask_helper'")
    assert delegation["span_type"] == "delegation"
    assert (delegation["agent"], delegation["caller_agent"], delegation["target_agent"]) == (
        "boss-b", "boss-b", "helper-b")
    # the callee run's failure, not the vehicle's wording of it
    assert delegation["outcome"] == "error"
    assert delegation["error_message"] == "ValueError: no such file"
    (helper,) = _rows(store, "span_type = 'agent' AND agent = 'helper-b'")
    (boss_run,) = _rows(store, "span_type = 'agent' AND agent = 'boss-b'")
    assert (helper["caller_agent"], helper["parent_run_id"]) == ("boss-b", boss_run["span_id"])
    assert not _rows(store, "span_type = 'tool' AND tool = 'ask_helper'")


def test_a_handoff_without_a_target_reaches_the_next_run_of_the_trace(store: Client) -> None:
    recorder = SpanRecorder(seed=3)
    root = recorder.span("Agent workflow", start=T0, duration=30,
                         attributes={"openinference.span.kind": "AGENT"})
    triage = _agent(recorder, "triage-c", T0 + 1, parent=root)
    recorder.span("triage-c → unknown.handoff", start=T0 + 2, duration=0.1, parent=triage,
                  attributes={"gen_ai.operation.name": "handoff",
                              "gen_ai.handoff.from_agent": "triage-c"})
    _agent(recorder, "billing-c", T0 + 3, parent=root, error="billing failed")
    recorder.store(store)
    (handoff,) = _rows(store, "span_type = 'delegation' AND caller_agent = 'triage-c'")
    assert (handoff["target_agent"], handoff["outcome"]) == ("billing-c", "error")
    # the trace wrapper is not an agent of the user's
    assert {r["agent"] for r in _rows(store, "span_type = 'agent' AND trace_id = "
                                             f"'{handoff['trace_id']}'")} == {"triage-c",
                                                                            "billing-c"}


def test_a_workflow_wrapper_and_its_agent_span_are_one_run(store: Client) -> None:
    recorder = SpanRecorder(seed=4)
    wrapper = recorder.span("writer-d.workflow", start=T0, duration=10,
                            attributes={"traceloop.span.kind": "workflow",
                                        "traceloop.entity.name": "writer-d",
                                        "traceloop.entity.input": json.dumps(
                                            {"inputs": {"messages": [["user", "draft a memo"]]},
                                             "tags": [], "metadata": {"thread": "t1"}})})
    inner = _agent(recorder, "writer-d", T0 + 1, parent=wrapper, error="writer crashed")
    _tool(recorder, "spell-d", T0 + 2, inner)
    recorder.store(store)
    (run,) = _rows(store, "span_type = 'agent' AND agent = 'writer-d'")
    assert run["span_id"] == format(wrapper.context.span_id, "016x")
    assert (run["outcome"], run["request_text"]) == ("error", "draft a memo")
    (tool,) = _rows(store, "tool = 'spell-d'")
    assert tool["run_id"] == run["span_id"]


def test_an_mcp_call_seen_by_framework_client_and_server_counts_once(store: Client) -> None:
    recorder = SpanRecorder(seed=5)
    run = _agent(recorder, "coder-e", T0)
    outer = _tool(recorder, "lint-e", T0 + 1, run, attributes={"gen_ai.agent.name": "coder-e"})
    client = recorder.span("MCP send tools/call lint-e", start=T0 + 1.1, duration=0.5,
                           parent=outer, kind=SpanKind.CLIENT,
                           attributes={"mcp.method.name": "tools/call"})
    recorder.span("tools/call lint-e", start=T0 + 1.2, duration=0.3, parent=client,
                  kind=SpanKind.SERVER, service="mcp-tools",
                  attributes={"mcp.method.name": "tools/call", "gen_ai.tool.name": "lint-e",
                              "gen_ai.operation.name": "execute_tool",
                              "error.type": "tool_error"},
                  status=StatusCode.ERROR)
    recorder.store(store)
    (call,) = _rows(store, "tool = 'lint-e'")
    assert (call["agent"], call["service"], call["outcome"]) == ("coder-e", "agents", "soft_error")


def test_the_request_of_a_run_without_input_comes_from_its_first_model_call(
    store: Client,
) -> None:
    recorder = SpanRecorder(seed=6)
    run = _agent(recorder, "asker-f", T0)
    for i, text in enumerate(["where is my parcel?", "tool said: in transit"]):
        recorder.span("chat gpt-x", start=T0 + 1 + i, duration=1, parent=run,
                      kind=SpanKind.CLIENT,
                      attributes={"gen_ai.operation.name": "chat",
                                  "gen_ai.input.messages": json.dumps(
                                      [{"role": "system", "parts": [
                                          {"type": "text", "content": "be brief"}]},
                                       {"role": "user", "parts": [
                                           {"type": "text", "content": text}]}])})
    recorder.store(store)
    (agent,) = _rows(store, "span_type = 'agent' AND agent = 'asker-f'")
    assert agent["request_text"] == "where is my parcel?"


def test_late_spans_replace_the_trace_rows_and_a_second_pass_changes_nothing(
    store: Client,
) -> None:
    recorder = SpanRecorder(seed=7)
    run = _agent(recorder, "late-g", T0)
    _tool(recorder, "first-g", T0 + 1, run)
    recorder.store(store)
    recorder2 = SpanRecorder(seed=8)
    # a span of the same trace, stored later: its parent is the run recorded before
    _tool(recorder2, "second-g", T0 + 2, run, error="second failed")
    recorder2.store(store)
    rows = _rows(store, f"trace_id = '{format(run.context.trace_id, '032x')}'")
    assert sorted((r["span_type"], r["tool"], r["agent"]) for r in rows) == [
        ("agent", "", "late-g"), ("tool", "first-g", "late-g"), ("tool", "second-g", "late-g")]
    again = assemble_traces(store, "test_model_assembly")
    assert (again.traces, again.spans) == (0, 0)
    assert len(_rows(store, f"trace_id = '{format(run.context.trace_id, '032x')}'")) == 3


def test_a_trace_still_receiving_spans_waits_for_the_settle_time(store: Client) -> None:
    from datetime import timedelta

    recorder = SpanRecorder(seed=9)
    run = _agent(recorder, "busy-h", T0)
    recorder.store(store, assemble=False)
    waited = assemble_traces(store, "test_model_assembly", settle=timedelta(hours=1))
    assert waited.traces == 0 and not _rows(store, "agent = 'busy-h'")
    assemble_traces(store, "test_model_assembly")
    assert len(_rows(store, "agent = 'busy-h'")) == 1
    assert run is not None


def _runs(client: Client, where: str) -> list[dict[str, Any]]:
    result = client.query(f"SELECT * FROM gapwatch_agent_runs WHERE {where} ORDER BY timestamp")
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def test_each_run_is_summarized_once_and_late_spans_replace_its_summary(store: Client) -> None:
    recorder = SpanRecorder(seed=10)
    boss = _agent(recorder, "boss-i", T0, **{"gen_ai.conversation.id": "s-runs",
                                            "gen_ai.agent.version": "v2"})
    recorder.llm_call(boss, start=T0 + 1, duration=1, input_tokens=300, output_tokens=20)
    vehicle = _tool(recorder, "ask_helper_i", T0 + 2, boss)
    helper = _agent(recorder, "helper-i", T0 + 3, parent=vehicle, error="helper gave up")
    recorder.llm_call(helper, start=T0 + 4, duration=1, input_tokens=50, output_tokens=5)
    recorder.store(store)
    trace = format(boss.context.trace_id, "032x")
    runs = {r["agent"]: r for r in _runs(store, f"trace_id = '{trace}'")}
    assert set(runs) == {"boss-i", "helper-i"}
    boss_run, helper_run = runs["boss-i"], runs["helper-i"]
    # the delegation span is the caller's vehicle: the boss's run holds its agent span and its
    # model call, not the tool span that carried the helper
    assert (boss_run["spans"], boss_run["tokens"], boss_run["outcome"]) == (2, 320, "ok")
    assert (boss_run["agent_version"], boss_run["session_id"]) == ("v2", "s-runs")
    assert (helper_run["outcome"], helper_run["failed_spans"], helper_run["tokens"]) == (
        "error", 1, 55)
    assert (helper_run["caller_agent"], helper_run["parent_run_id"]) == (
        "boss-i", boss_run["run_id"])
    assert helper_run["errors"] == [helper_run["error_fingerprint"]] != [""]

    late = SpanRecorder(seed=11)
    _tool(late, "search_i", T0 + 5, boss, error="search failed")
    late.store(store)
    (boss_again,) = _runs(store, f"trace_id = '{trace}' AND agent = 'boss-i'")
    assert (boss_again["spans"], boss_again["failed_spans"]) == (3, 1)
    assert len(_runs(store, f"trace_id = '{trace}'")) == 2
