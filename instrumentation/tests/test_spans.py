"""The manual API: span names, kinds, parentage and attributes for every path, sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from gapwatch.instrumentation import (
    Classification,
    ToolBlocked,
    agent,
    delegation,
    tool,
)
from gapwatch.instrumentation.testing import SpanRecorder
from gapwatch.semconv.values import ToolOutcome


class FakeReadTimeout(Exception):
    """Shaped like httpx.ReadTimeout: a timeout outside the TimeoutError hierarchy."""


def test_agent_and_tool_when_nested_sync(spans: SpanRecorder) -> None:
    with agent("researcher", conversation_id="conv-1", version="1.4", prompt_version="p7"):
        with tool("web_search", call_id="call_1", tool_type="function") as call:
            call.set_result(["a", "b"])

    run = spans.one("invoke_agent researcher")
    search = spans.one("execute_tool web_search")
    assert run.kind == SpanKind.INTERNAL and search.kind == SpanKind.INTERNAL
    assert search.parent is not None and search.parent.span_id == run.context.span_id
    assert run.parent is None
    assert dict(run.attributes or {}) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "researcher",
        "gen_ai.conversation.id": "conv-1",
        "gen_ai.agent.version": "1.4",
        "gapwatch.agent.version": "1.4",
        "gapwatch.prompt.version": "p7",
    }
    assert dict(search.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "web_search",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.agent.name": "researcher",
        "gen_ai.conversation.id": "conv-1",
        "gapwatch.attempt": 1,
        "gapwatch.tool.outcome": "ok",
    }
    assert search.status.status_code == StatusCode.UNSET


def test_agent_and_tool_when_nested_async(spans: SpanRecorder) -> None:
    async def main() -> None:
        async with agent("writer", conversation_id="conv-2"):
            async with tool("spell_check", input_size=120, input_unit="lines"):
                await asyncio.sleep(0)

    asyncio.run(main())
    run = spans.one("invoke_agent writer")
    check = spans.one("execute_tool spell_check")
    assert check.parent is not None and check.parent.span_id == run.context.span_id
    attributes = dict(check.attributes or {})
    assert attributes["gapwatch.input.size"] == 120
    assert attributes["gapwatch.input.unit"] == "lines"
    assert attributes["gen_ai.conversation.id"] == "conv-2"
    assert attributes["gapwatch.tool.outcome"] == "ok"


def test_conversation_id_when_concurrent_tasks_keep_their_own(spans: SpanRecorder) -> None:
    async def run(conversation: str) -> None:
        async with agent("support", conversation_id=conversation):
            await asyncio.sleep(0)
            async with tool("lookup"):
                await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(run("c-a"), run("c-b"))

    asyncio.run(main())
    lookups = spans.named("execute_tool lookup")
    by_parent = {span.parent.span_id: span for span in lookups if span.parent}
    for run_span in spans.named("invoke_agent support"):
        child = by_parent[run_span.context.span_id]
        assert (child.attributes or {})["gen_ai.conversation.id"] == (run_span.attributes or {})[
            "gen_ai.conversation.id"
        ]
    assert {(s.attributes or {})["gen_ai.conversation.id"] for s in lookups} == {"c-a", "c-b"}


def test_tool_outcome_is_error_when_exception_raised(spans: SpanRecorder) -> None:
    class QuotaExceeded(Exception):
        pass

    error = QuotaExceeded("quota of 10 exceeded")
    with pytest.raises(QuotaExceeded) as raised:
        with agent("a"), tool("send_mail"):
            raise error
    assert raised.value is error  # re-raised unchanged
    span = spans.one("execute_tool send_mail")
    attributes = dict(span.attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "error"
    assert attributes["error.type"] == QuotaExceeded.__qualname__
    assert span.status.status_code == StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]
    assert (span.events[0].attributes or {})["exception.type"].endswith("QuotaExceeded")
    run = spans.one("invoke_agent a")
    assert (run.attributes or {})["error.type"] == QuotaExceeded.__qualname__
    assert run.status.status_code == StatusCode.ERROR


@pytest.mark.parametrize("exc", [TimeoutError("slow"), FakeReadTimeout("read")])
def test_tool_outcome_is_timeout_when_timeout_raised(spans: SpanRecorder, exc: Exception) -> None:
    with pytest.raises(type(exc)):
        with tool("lsp_find_references", input_size=5200, input_unit="lines"):
            raise exc
    attributes = dict(spans.one("execute_tool lsp_find_references").attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "timeout"
    assert attributes["error.type"] == "timeout"
    assert attributes["gapwatch.input.size"] == 5200


def test_tool_outcome_is_timeout_when_asyncio_wait_for_expires(spans: SpanRecorder) -> None:
    @tool("slow_fetch")
    async def slow_fetch() -> None:
        await asyncio.Event().wait()  # never set: only the timeout ends it

    async def main() -> None:
        async with tool("guarded"):
            await asyncio.wait_for(slow_fetch(), timeout=0.01)

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    guarded = dict(spans.one("execute_tool guarded").attributes or {})
    assert guarded["gapwatch.tool.outcome"] == "timeout"
    # The inner call was cancelled by the caller's timeout, which is what its span says.
    inner = dict(spans.one("execute_tool slow_fetch").attributes or {})
    assert inner["gapwatch.tool.outcome"] == "error"
    assert inner["error.type"] == "CancelledError"


def test_tool_outcome_is_blocked_when_tool_blocked_raised(spans: SpanRecorder) -> None:
    with pytest.raises(ToolBlocked):
        with agent("prometheus"), tool("write", call_id="c9"):
            raise ToolBlocked("prometheus-md-only blocked", desired_capability="write src/")
    span = spans.one("execute_tool write")
    attributes = dict(span.attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "blocked"
    assert attributes["gapwatch.blocked.reason"] == "prometheus-md-only blocked"
    assert attributes["gapwatch.desired_capability"] == "write src/"
    assert attributes["error.type"] == "ToolBlocked"
    assert span.status.status_code == StatusCode.ERROR


def test_tool_outcome_is_blocked_when_permission_error_raised(spans: SpanRecorder) -> None:
    with pytest.raises(PermissionError):
        with tool("write"):
            raise PermissionError("read-only file system")
    attributes = dict(spans.one("execute_tool write").attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "blocked"
    assert attributes["gapwatch.blocked.reason"] == "read-only file system"
    assert attributes["error.type"] == "PermissionError"


def test_tool_outcome_is_blocked_when_marked_without_exception(spans: SpanRecorder) -> None:
    with tool("shell") as call:
        call.block("command not in allowlist", desired_capability="run make")
    span = spans.one("execute_tool shell")
    attributes = dict(span.attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "blocked"
    assert attributes["gapwatch.blocked.reason"] == "command not in allowlist"
    assert attributes["gapwatch.desired_capability"] == "run make"
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "command not in allowlist"


@pytest.mark.parametrize(
    "result",
    [
        {"error": "file not found"},
        {"isError": True, "content": []},
        {"ok": False},
        {"status": "error"},
    ],
)
def test_tool_outcome_is_soft_error_when_result_is_error_shaped(
    spans: SpanRecorder, result: dict[str, Any]
) -> None:
    with tool("read_file") as call:
        call.set_result(result)
    span = spans.one("execute_tool read_file")
    attributes = dict(span.attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "soft_error"
    assert "error.type" not in attributes
    assert span.status.status_code == StatusCode.UNSET


def test_tool_outcome_is_ok_when_result_is_plain(spans: SpanRecorder) -> None:
    with tool("read_file") as call:
        call.set_result({"content": "error handling guide", "ok": True})
    assert (spans.one("execute_tool read_file").attributes or {})["gapwatch.tool.outcome"] == "ok"


def test_custom_classifier_when_given_per_tool(spans: SpanRecorder) -> None:
    def exit_code(result: Any) -> Classification | None:
        if isinstance(result, int) and result != 0:
            return Classification(ToolOutcome.SOFT_ERROR, error_type=f"exit_{result}")
        return None

    @tool("shell", classifier=exit_code)
    def shell(command: str) -> int:
        return 2

    assert shell("make") == 2
    attributes = dict(spans.one("execute_tool shell").attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "soft_error"
    assert attributes["error.type"] == "exit_2"


def test_attempt_counts_retries_when_call_id_repeats(spans: SpanRecorder) -> None:
    with agent("coder"):
        for _ in range(3):
            try:
                with tool("run_tests", call_id="call_7"):
                    raise ConnectionError("flaky")
            except ConnectionError:
                pass
        with tool("run_tests", call_id="call_8"):
            pass
    calls = spans.named("execute_tool run_tests")
    attempts = [
        ((s.attributes or {})["gen_ai.tool.call.id"], (s.attributes or {})["gapwatch.attempt"])
        for s in calls
    ]
    assert attempts == [("call_7", 1), ("call_7", 2), ("call_7", 3), ("call_8", 1)]


def test_attempt_is_explicit_when_given(spans: SpanRecorder) -> None:
    with tool("fetch", attempt=4):
        pass
    assert (spans.one("execute_tool fetch").attributes or {})["gapwatch.attempt"] == 4


def test_decorators_when_sync_and_async(spans: SpanRecorder) -> None:
    @tool("add", input_size=lambda a, b: 2, input_unit="items")
    def add(a: int, b: int) -> int:
        return a + b

    @agent("calculator", conversation_id="c-3")
    async def run() -> int:
        return add(1, 2) + add(3, 4)

    assert asyncio.run(run()) == 10
    assert add.__name__ == "add"
    parent = spans.one("invoke_agent calculator")
    calls = spans.named("execute_tool add")
    assert len(calls) == 2
    for call in calls:
        assert call.parent is not None and call.parent.span_id == parent.context.span_id
        attributes = dict(call.attributes or {})
        assert attributes["gapwatch.input.size"] == 2
        assert attributes["gapwatch.input.unit"] == "items"
        assert attributes["gen_ai.conversation.id"] == "c-3"
        assert "gen_ai.tool.call.arguments" not in attributes  # content capture is off


def test_decorated_async_tool_when_result_is_error_shaped(spans: SpanRecorder) -> None:
    @tool("lookup")
    async def lookup(key: str) -> dict[str, Any]:
        return {"error": f"{key} missing"}

    assert asyncio.run(lookup("k")) == {"error": "k missing"}
    attributes = dict(spans.one("execute_tool lookup").attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "soft_error"


def test_decorated_tool_when_exception_is_reraised_unchanged(spans: SpanRecorder) -> None:
    sentinel = KeyError("missing")

    @tool("get")
    def get() -> None:
        raise sentinel

    with pytest.raises(KeyError) as raised:
        get()
    assert raised.value is sentinel
    assert (spans.one("execute_tool get").attributes or {})["error.type"] == "KeyError"


def test_delegation_when_delegate_run_nests(spans: SpanRecorder) -> None:
    with agent("sisyphus", conversation_id="c-4"):
        with delegation("explore", category="quick", task="Find patterns"):
            with agent("explore"):
                with tool("grep"):
                    pass

    orchestrator = spans.one("invoke_agent sisyphus")
    handoff = spans.one("execute_tool delegate explore")
    delegate = spans.one("invoke_agent explore")
    grep = spans.one("execute_tool grep")
    assert handoff.parent is not None and handoff.parent.span_id == orchestrator.context.span_id
    assert delegate.parent is not None and delegate.parent.span_id == handoff.context.span_id
    assert grep.parent is not None and grep.parent.span_id == delegate.context.span_id
    assert dict(handoff.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "delegate",
        "gen_ai.agent.name": "sisyphus",
        "gen_ai.conversation.id": "c-4",
        "gen_ai.transfer.target.name": "explore",
        "gen_ai.transfer.mode": "return_to_caller",
        "gapwatch.delegation.category": "quick",
        "gapwatch.attempt": 1,
        "gapwatch.tool.outcome": "ok",
    }
    assert (grep.attributes or {})["gen_ai.agent.name"] == "explore"
    assert (delegate.attributes or {})["gen_ai.conversation.id"] == "c-4"


def test_delegation_when_async_and_failing(spans: SpanRecorder) -> None:
    async def main() -> None:
        async with agent("planner"):
            async with delegation(
                "oracle", category="deep", mode="pass_control", tool_name="delegate_task"
            ):
                async with agent("oracle"):
                    raise TimeoutError("lsp timed out")

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    handoff = spans.one("execute_tool delegate_task oracle")
    attributes = dict(handoff.attributes or {})
    assert attributes["gen_ai.transfer.mode"] == "pass_control"
    assert attributes["gapwatch.tool.outcome"] == "timeout"
    assert handoff.status.status_code == StatusCode.ERROR
    assert (spans.one("invoke_agent oracle").attributes or {})["error.type"] == "TimeoutError"


def test_content_when_capture_on(content_spans: SpanRecorder) -> None:
    @tool("send")
    def send(to: str, body: str) -> dict[str, str]:
        return {"status": "sent", "receipt": "Bearer abcdefghijklmnop"}

    with agent("mailer"):
        with delegation("writer", task="Draft a reply to bob@example.com"):
            pass
        send("alice@example.com", body="key sk-proj-abcdefghijklmnopqrstuvwx")
    attributes = dict(content_spans.one("execute_tool send").attributes or {})
    assert attributes["gen_ai.tool.call.arguments"] == ('{"to":"[EMAIL]","body":"key [REDACTED]"}')
    assert attributes["gen_ai.tool.call.result"] == (
        '{"status":"sent","receipt":"Bearer [REDACTED]"}'
    )
    task = (content_spans.one("execute_tool delegate writer").attributes or {})["gapwatch.task"]
    assert task == "Draft a reply to [EMAIL]"


def test_content_when_capture_off(spans: SpanRecorder) -> None:
    with delegation("writer", task="secret plan"):
        with tool("send", arguments={"to": "x"}) as call:
            call.set_result("done")
    for span in spans.spans:
        keys = set((span.attributes or {}).keys())
        assert not keys & {"gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gapwatch.task"}


def test_scope_when_not_entered_twice(spans: SpanRecorder) -> None:
    scope = tool("once")
    with scope:
        with scope:  # a mistake in the agent's code: ignored, not raised
            pass
    assert len(spans.named("execute_tool once")) == 1
