"""MCP client tool calls: ``ClientSession.call_tool`` → ``execute_tool {tool}`` (CLIENT).

Adds ``mcp.method.name=tools/call`` to the tool-call attributes (see
:class:`~gapwatch.instrumentation.ToolScope`). A result with ``isError`` set is a ``soft_error``
(the server answered, the tool failed); a request timeout (MCP error 408) is a ``timeout``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind

from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._outcome import Classification
from gapwatch.instrumentation._patching import Patcher
from gapwatch.instrumentation._spans import ToolScope
from gapwatch.semconv import attributes as A
from gapwatch.semconv.values import ERROR_TYPE_TIMEOUT, ToolOutcome

METHOD_TOOLS_CALL = "tools/call"
REQUEST_TIMEOUT = 408  # the code the MCP SDK puts on a read timeout


class McpToolCall(ToolScope):
    """A tool call sent to an MCP server."""

    kind = SpanKind.CLIENT


def instrument(patcher: Patcher) -> None:
    patcher.when_imported("mcp.client.session", "ClientSession.call_tool", _call_tool)


def _call_tool(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _traced_call_tool(wrapped, args, kwargs)


async def _traced_call_tool(wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        name = str(args[0] if args else kwargs.get("name", "unknown"))
        arguments = args[1] if len(args) > 1 else kwargs.get("arguments")
        scope = McpToolCall(
            name, arguments=arguments, attributes={A.MCP_METHOD_NAME: METHOD_TOOLS_CALL}
        )
    except Exception:
        warn_internal("mcp", "could not describe an MCP tool call")
        return await wrapped(*args, **kwargs)
    async with scope:
        try:
            result = await wrapped(*args, **kwargs)
        except Exception as exc:
            error = getattr(exc, "error", None)
            if getattr(error, "code", None) == REQUEST_TIMEOUT:
                scope.set_outcome(Classification(ToolOutcome.TIMEOUT, ERROR_TYPE_TIMEOUT))
            raise
        scope._safe_observe_result(result)
        return result
