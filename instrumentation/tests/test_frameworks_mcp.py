"""MCP client tool calls against a real in-process MCPServer (mcp 2.x).

``mcp.Client`` runs an in-process server two ways: ``auto`` dispatches requests directly,
``legacy`` speaks JSON-RPC over the SDK's in-memory streams. Every test runs on both.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from gapwatch.instrumentation import GapwatchInstrumentor, agent
from gapwatch.instrumentation.testing import SpanRecorder

Call = Callable[[Client], Awaitable[Any]]


@pytest.fixture(autouse=True)
def instrumented() -> Iterator[None]:
    instrumentor = GapwatchInstrumentor()
    instrumentor.instrument(frameworks=["mcp"])
    yield
    instrumentor.uninstrument()


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _server() -> MCPServer:
    server = MCPServer("files")

    @server.tool()
    def read_file(path: str) -> str:
        """Read a file."""
        if path.startswith("/secret"):
            raise ValueError(f"{path} does not exist")
        return f"contents of {path}"

    @server.tool()
    def stat_file(path: str) -> dict[str, str]:
        """Describe a file, reporting a missing one as an error payload."""
        return {"error": f"{path}: no such file"}

    @server.tool()
    def write_file(path: str) -> CallToolResult:
        """Refuse every write with an is_error result the tool builds itself."""
        refusal = TextContent(type="text", text="quota exceeded")
        return CallToolResult(content=[refusal], is_error=True)

    @server.tool()
    async def search(query: str) -> str:
        """Never answer."""
        await anyio.sleep_forever()
        return query

    return server


def _call(mode: str, call: Call) -> Any:
    async def main() -> Any:
        async with Client(_server(), mode=mode) as client:
            with agent("coder", conversation_id="c-mcp"):
                return await call(client)

    return anyio.run(main)


def _tool_span(spans: SpanRecorder, name: str) -> ReadableSpan:
    span = spans.one(f"execute_tool {name}")
    coder = spans.one("invoke_agent coder")
    assert span.kind == SpanKind.CLIENT
    assert span.parent is not None and span.parent.span_id == coder.context.span_id
    return span


def test_mcp_call_tool_when_ok(spans: SpanRecorder, mode: str) -> None:
    result = _call(mode, lambda client: client.call_tool("read_file", {"path": "README.md"}))

    assert result.is_error is False
    call = _tool_span(spans, "read_file")
    assert call.status.status_code == StatusCode.UNSET
    assert dict(call.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "read_file",
        "gen_ai.agent.name": "coder",
        "gen_ai.conversation.id": "c-mcp",
        "gapwatch.attempt": 1,
        "mcp.method.name": "tools/call",
        "gapwatch.tool.outcome": "ok",
    }


def test_mcp_call_tool_is_soft_error_when_result_is_error(spans: SpanRecorder, mode: str) -> None:
    result = _call(mode, lambda client: client.call_tool("write_file", arguments={"path": "/x"}))

    assert result.is_error is True
    call = _tool_span(spans, "write_file")
    assert call.status.status_code == StatusCode.UNSET
    attributes = dict(call.attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "soft_error"
    assert "error.type" not in attributes


def test_mcp_call_tool_is_error_when_tool_raised_on_server(spans: SpanRecorder, mode: str) -> None:
    result = _call(mode, lambda client: client.call_tool("read_file", {"path": "/secret/x"}))

    assert result.is_error is True
    call = _tool_span(spans, "read_file")
    attributes = dict(call.attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "error"
    assert attributes["error.type"] == "tool_error"
    assert call.status.status_code == StatusCode.ERROR
    assert call.status.description == "Error executing tool read_file"


def test_mcp_call_tool_is_soft_error_when_structured_content_has_error(
    spans: SpanRecorder, mode: str
) -> None:
    result = _call(mode, lambda client: client.call_tool("stat_file", {"path": "/x"}))

    assert result.is_error is False
    assert result.structured_content == {"error": "/x: no such file"}
    call = _tool_span(spans, "stat_file")
    assert call.status.status_code == StatusCode.UNSET
    assert dict(call.attributes or {})["gapwatch.tool.outcome"] == "soft_error"


def test_mcp_call_tool_is_timeout_when_read_times_out(spans: SpanRecorder, mode: str) -> None:
    async def call(client: Client) -> Any:
        # Caught inside the client: leaving `async with Client` wraps it in an ExceptionGroup.
        with pytest.raises(MCPError) as raised:
            await client.call_tool("search", {"query": "x"}, read_timeout_seconds=0.05)
        return raised.value

    error = _call(mode, call)

    assert error.error.code == -32001
    span = _tool_span(spans, "search")
    attributes = dict(span.attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "timeout"
    assert attributes["error.type"] == "timeout"
    assert span.status.status_code == StatusCode.ERROR


def test_mcp_call_tool_when_content_capture_on(content_spans: SpanRecorder, mode: str) -> None:
    _call(mode, lambda client: client.call_tool("read_file", {"path": "inbox of ann@example.org"}))

    attributes = dict(content_spans.one("execute_tool read_file").attributes or {})
    assert attributes["gen_ai.tool.call.arguments"] == '{"path":"inbox of [EMAIL]"}'
    result = json.loads(str(attributes["gen_ai.tool.call.result"]))
    assert result["content"] == [{"type": "text", "text": "contents of inbox of [EMAIL]"}]
    assert result["structuredContent"] == {"result": "contents of inbox of [EMAIL]"}
    assert result["isError"] is False
