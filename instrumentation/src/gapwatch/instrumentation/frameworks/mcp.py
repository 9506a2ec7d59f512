"""MCP client tool calls: ``ClientSession.call_tool`` → ``execute_tool {tool}`` (CLIENT).

Written against mcp 2.x, where ``mcp.Client.call_tool`` goes through ``ClientSession.call_tool``
as well. Adds ``mcp.method.name=tools/call`` to the tool-call attributes (see
:class:`~gapwatch.instrumentation.ToolScope`) and reads the outcome from what the SDK returns:

* ``MCPError`` with code -32001 (the SDK's request timeout) → ``timeout``, ``error.type=timeout``;
* an ``is_error`` result whose text is ``Error executing tool <name>`` (``MCPServer`` answers this
  way when the tool raised) → ``error``, ``error.type=tool_error``, the text as status message;
* any other ``is_error`` result → ``soft_error`` (the server answered, the tool failed);
* otherwise the result classifier decides, on the result and then on its structured content,
  so ``{"error": …}`` returned as structured content is a ``soft_error`` too.

With content capture on, ``gen_ai.tool.call.result`` holds the result as MCP puts it on the wire
(``content``, ``structuredContent``, ``isError``), not the SDK's Python field names.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind

from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._outcome import Classification, ResultClassifier
from gapwatch.instrumentation._patching import Patcher
from gapwatch.instrumentation._scope import Attributes, content
from gapwatch.instrumentation._spans import ToolScope
from gapwatch.semconv import attributes as A
from gapwatch.semconv.values import ERROR_TYPE_TIMEOUT, ERROR_TYPE_TOOL_ERROR, ToolOutcome

METHOD_TOOLS_CALL = "tools/call"
# mcp_types.REQUEST_TIMEOUT: the code of the MCPError the SDK raises when a read times out.
REQUEST_TIMEOUT = -32001
# How MCPServer words the is_error result of a tool that raised (mcpserver/tools/base.py).
RAISED_PREFIX = "Error executing tool "

_TIMEOUT = Classification(ToolOutcome.TIMEOUT, error_type=ERROR_TYPE_TIMEOUT)
_RAISED = Classification(ToolOutcome.ERROR, error_type=ERROR_TYPE_TOOL_ERROR)
_SOFT_ERROR = Classification(ToolOutcome.SOFT_ERROR)


class McpToolCall(ToolScope):
    """A tool call sent to an MCP server."""

    kind = SpanKind.CLIENT

    def _classify_result(self, default: ResultClassifier | None) -> Classification:
        result = self._result
        if getattr(result, "is_error", None) is True:
            return _RAISED if _raised_text(result, self.name) is not None else _SOFT_ERROR
        classification = self._run_classifier(result, default)
        structured = getattr(result, "structured_content", None)
        if classification.outcome is ToolOutcome.OK and structured is not None:
            classification = self._run_classifier(structured, default)
        return classification

    def _end_attributes(self, exc: BaseException | None) -> tuple[Attributes, str | None]:
        attributes, error = super()._end_attributes(exc)
        if exc is None and self.outcome is ToolOutcome.ERROR:
            # The server's text beats the bare outcome name as a status message; it may echo
            # arguments, so it is redacted like exception messages are.
            raised = _raised_text(self._result, self.name)
            if raised is not None:
                error = content(raised)[:512]
        return attributes, error

    def _result_content(self) -> Any:
        dump = getattr(self._result, "model_dump", None)
        if not callable(dump):
            return self._result
        try:
            return dump(mode="json", by_alias=True, exclude_none=True)
        except Exception:
            warn_internal("mcp", "could not serialize an MCP tool result")
            return self._result


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
            if getattr(getattr(exc, "error", None), "code", None) == REQUEST_TIMEOUT:
                scope.set_outcome(_TIMEOUT)
            raise
        scope._safe_observe_result(result)
        return result


def _raised_text(result: Any, tool: str) -> str | None:
    """The text of an is_error result that reports a raised exception, else None."""
    blocks = getattr(result, "content", None)
    if not isinstance(blocks, list) or not blocks:
        return None
    text = getattr(blocks[0], "text", None)
    if not isinstance(text, str):
        return None
    prefix = RAISED_PREFIX + tool
    if text == prefix or text.startswith(prefix + ":"):
        return text
    return None
