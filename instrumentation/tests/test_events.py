"""record_blocked / record_feedback / record_user_correction, and remote delegation."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.trace import SpanKind

from gapwatch.instrumentation import (
    agent,
    extract_context,
    inject_context,
    record_blocked,
    record_feedback,
    record_user_correction,
    remote_agent,
    tool,
)
from gapwatch.instrumentation.testing import SpanRecorder


def test_record_blocked_when_inside_matching_tool(spans: SpanRecorder) -> None:
    with agent("prometheus"):
        with tool("write"):
            record_blocked("write", "prometheus-md-only blocked", "Write permission for src/")
    span = spans.one("execute_tool write")
    attributes = dict(span.attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "blocked"
    assert attributes["gapwatch.desired_capability"] == "Write permission for src/"
    [event] = span.events
    assert event.name == "gapwatch.blocked"
    assert dict(event.attributes or {}) == {
        "gen_ai.tool.name": "write",
        "gapwatch.blocked.reason": "prometheus-md-only blocked",
        "gapwatch.desired_capability": "Write permission for src/",
    }


def test_record_blocked_when_on_agent_span(spans: SpanRecorder) -> None:
    with agent("prometheus"):
        record_blocked("bash", "not allowed")
    [event] = spans.one("invoke_agent prometheus").events
    assert event.name == "gapwatch.blocked"
    assert (event.attributes or {})["gen_ai.tool.name"] == "bash"


def test_record_feedback_and_correction_when_span_current(spans: SpanRecorder) -> None:
    with agent("writer", conversation_id="c-9"):
        record_feedback(-1, comment="wrong file, mail me at ann@example.org", source="thumbs")
        record_user_correction("user rewrote the summary")
    events = spans.one("invoke_agent writer").events
    assert [event.name for event in events] == ["gapwatch.feedback", "gapwatch.user_correction"]
    assert dict(events[0].attributes or {}) == {
        "gapwatch.feedback.rating": -1,
        "gapwatch.feedback.comment": "wrong file, mail me at [EMAIL]",
        "gapwatch.feedback.source": "thumbs",
    }
    assert dict(events[1].attributes or {}) == {
        "gapwatch.correction.description": "user rewrote the summary",
    }


def test_record_feedback_when_run_already_ended(spans: SpanRecorder) -> None:
    with agent("writer", conversation_id="c-10"):
        headers = inject_context({})
    record_feedback(0.2, parent=headers)
    run = spans.one("invoke_agent writer")
    carrier = spans.one("gapwatch.feedback")
    assert carrier.context.trace_id == run.context.trace_id
    assert carrier.parent is not None and carrier.parent.span_id == run.context.span_id
    assert (carrier.attributes or {})["gen_ai.conversation.id"] == "c-10"
    assert [event.name for event in carrier.events] == ["gapwatch.feedback"]


def test_remote_agent_client_and_server_spans(spans: SpanRecorder) -> None:
    async def main() -> dict[str, str]:
        async with agent("planner", conversation_id="c-12"):
            async with remote_agent("billing", task="refund order 7") as call:
                return dict(call.inject({}))

    headers = asyncio.run(main())
    assert "traceparent" in headers
    with agent("billing", parent=extract_context(headers)):
        pass
    planner = spans.one("invoke_agent planner")
    client, server = spans.named("invoke_agent billing")
    assert client.kind == SpanKind.CLIENT and server.kind == SpanKind.INTERNAL
    assert client.parent is not None and client.parent.span_id == planner.context.span_id
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    assert server.context.trace_id == planner.context.trace_id
    assert dict(client.attributes or {}) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "billing",
        "gen_ai.caller.type": "agent",
        "gen_ai.caller.name": "planner",
        "gen_ai.conversation.id": "c-12",
        "gapwatch.tool.outcome": "ok",
    }
    # The conversation id travelled as baggage and is stamped in the callee.
    assert (server.attributes or {})["gen_ai.conversation.id"] == "c-12"


def test_remote_agent_when_call_fails(spans: SpanRecorder) -> None:
    with pytest.raises(ConnectionRefusedError):
        with remote_agent("billing", caller_name="gateway"):
            raise ConnectionRefusedError("billing is down")
    attributes = dict(spans.one("invoke_agent billing").attributes or {})
    assert attributes["gen_ai.caller.name"] == "gateway"
    assert attributes["gapwatch.tool.outcome"] == "error"
    assert attributes["error.type"] == "ConnectionRefusedError"
