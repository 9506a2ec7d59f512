"""MCP client tool calls against a real in-memory FastMCP server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from mcp.server.fastmcp import FastMCP
from mcp.shared.memory import create_connected_server_and_client_session
from opentelemetry.trace import SpanKind, StatusCode

from gapwatch.instrumentation import GapwatchInstrumentor, agent
from gapwatch.instrumentation.testing import SpanRecorder


@pytest.fixture(autouse=True)
def instrumented() -> Iterator[None]:
    instrumentor = GapwatchInstrumentor()
    instrumentor.instrument(frameworks=["mcp"])
    yield
    instrumentor.uninstrument()


def _server() -> FastMCP:
    server = FastMCP("files")

    @server.tool()
    def read_file(path: str) -> str:
        """Read a file."""
        if path.startswith("/secret"):
            raise ValueError(f"{path} does not exist")
        return f"contents of {path}"

    return server


def test_mcp_call_tool_when_ok_and_is_error(spans: SpanRecorder) -> None:
    async def main() -> tuple[bool, bool]:
        async with create_connected_server_and_client_session(_server()) as session:
            with agent("coder", conversation_id="c-mcp"):
                ok = await session.call_tool("read_file", {"path": "README.md"})
                failed = await session.call_tool("read_file", arguments={"path": "/secret/x"})
        return ok.isError, failed.isError

    assert asyncio.run(main()) == (False, True)
    calls = spans.named("execute_tool read_file")
    assert len(calls) == 2
    coder = spans.one("invoke_agent coder")
    for call in calls:
        assert call.kind == SpanKind.CLIENT
        assert call.parent is not None and call.parent.span_id == coder.context.span_id
        assert call.status.status_code == StatusCode.UNSET
    ok, failed = (dict(call.attributes or {}) for call in calls)
    assert ok == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "read_file",
        "gen_ai.agent.name": "coder",
        "gen_ai.conversation.id": "c-mcp",
        "gapwatch.attempt": 1,
        "mcp.method.name": "tools/call",
        "gapwatch.tool.outcome": "ok",
    }
    assert failed["gapwatch.tool.outcome"] == "soft_error"


def test_mcp_call_tool_when_content_capture_on(content_spans: SpanRecorder) -> None:
    async def main() -> None:
        async with create_connected_server_and_client_session(_server()) as session:
            await session.call_tool("read_file", {"path": "inbox of ann@example.org"})

    asyncio.run(main())
    attributes = dict(content_spans.one("execute_tool read_file").attributes or {})
    assert attributes["gen_ai.tool.call.arguments"] == '{"path":"inbox of [EMAIL]"}'
    assert "contents of inbox of [EMAIL]" in str(attributes["gen_ai.tool.call.result"])
