"""LangChain tools and LangGraph agent runs.

* ``BaseTool.run`` / ``arun`` (what ``invoke``/``ainvoke`` and LangGraph's ``ToolNode`` call) →
  ``execute_tool {tool.name}`` with the tool call id; a ``ToolMessage`` with ``status="error"``
  (a handled ``ToolException``) is a ``soft_error``.
* ``Pregel.invoke`` / ``ainvoke`` (every compiled graph, including ``create_react_agent`` and
  ``create_agent``) → ``invoke_agent {graph.name}``, with ``configurable.thread_id`` as the
  conversation id. A graph invoked from inside a tool (an agent exposed as a tool) turns that
  tool's span into a delegation: ``gen_ai.transfer.target.name`` = the graph's name.

LLM calls are left to OpenInference or OpenLLMetry instrumentors (see the package README).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gapwatch.instrumentation._context import current_tool
from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._patching import Patcher
from gapwatch.instrumentation._scope import Scope
from gapwatch.instrumentation._spans import AgentScope, DelegationScope, ToolScope

TOOL_MODULE = "langchain_core.tools.base"
GRAPH_MODULE = "langgraph.pregel.main"


def instrument(patcher: Patcher) -> None:
    patcher.when_imported(TOOL_MODULE, "BaseTool.run", _tool_run)
    patcher.when_imported(TOOL_MODULE, "BaseTool.arun", _tool_arun)
    patcher.when_imported(GRAPH_MODULE, "Pregel.invoke", _graph_invoke)
    patcher.when_imported(GRAPH_MODULE, "Pregel.ainvoke", _graph_ainvoke)


def _tool_scope(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
    try:
        tool_input = args[0] if args else kwargs.get("tool_input")
        return ToolScope(
            str(getattr(instance, "name", type(instance).__name__)),
            call_id=kwargs.get("tool_call_id"),
            tool_type="function",
            arguments=tool_input,
        )
    except Exception:
        warn_internal("langchain_tool", "could not describe a LangChain tool call")
        return None


def _agent_scope(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
    try:
        name = str(getattr(instance, "name", None) or "LangGraph")
        config = args[1] if len(args) > 1 else kwargs.get("config")
        conversation_id = None
        if isinstance(config, Mapping):
            configurable = config.get("configurable") or {}
            thread_id = configurable.get("thread_id") if isinstance(configurable, Mapping) else None
            conversation_id = str(thread_id) if thread_id is not None else None
        calling_tool = current_tool()
        if calling_tool is not None and not isinstance(calling_tool, DelegationScope):
            calling_tool.mark_transfer(name)
        return AgentScope(name, conversation_id=conversation_id)
    except Exception:
        warn_internal("langgraph_agent", "could not describe a LangGraph run")
        return None


def _tool_run(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    scope = _tool_scope(instance, args, kwargs)
    if scope is None:
        return wrapped(*args, **kwargs)
    with scope:
        result = wrapped(*args, **kwargs)
        scope._safe_observe_result(result)
        return result


async def _tool_arun(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    scope = _tool_scope(instance, args, kwargs)
    if scope is None:
        return await wrapped(*args, **kwargs)
    async with scope:
        result = await wrapped(*args, **kwargs)
        scope._safe_observe_result(result)
        return result


def _graph_invoke(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    scope = _agent_scope(instance, args, kwargs)
    if scope is None:
        return wrapped(*args, **kwargs)
    with scope:
        return wrapped(*args, **kwargs)


async def _graph_ainvoke(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    scope = _agent_scope(instance, args, kwargs)
    if scope is None:
        return await wrapped(*args, **kwargs)
    async with scope:
        return await wrapped(*args, **kwargs)
