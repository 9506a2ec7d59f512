"""Wrappers that turn any named callable into an agent run, a delegation or a tool call.

The zero-code path: a framework's ``delegate_task(subagent_type, prompt, category)`` or its tool
dispatcher ``dispatch(tool_name, args)`` is named in the environment, and every call becomes a
span whose names come from the call's own arguments (by parameter name, positional or keyword).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._patching import Wrapper
from gapwatch.instrumentation._scope import Scope
from gapwatch.instrumentation._spans import AgentScope, DelegationScope, ToolScope


@dataclass(frozen=True)
class ArgumentNames:
    """Which parameters carry what; each is a list of candidate names, first match wins."""

    target: Sequence[str] = ("subagent_type", "agent", "subagent", "target", "agent_name")
    category: Sequence[str] = ("category",)
    task: Sequence[str] = ("task", "prompt", "description")
    tool_name: Sequence[str] = ("tool_name",)
    call_id: Sequence[str] = ("tool_call_id", "call_id")
    input_size: Sequence[str] = ()
    agent_name: Sequence[str] = ("agent_name",)
    conversation_id: Sequence[str] = ("conversation_id", "session_id", "thread_id")


class _Call:
    """The arguments of one call, looked up by parameter name."""

    def __init__(
        self, signature: inspect.Signature | None, args: tuple[Any, ...], kw: dict[str, Any]
    ) -> None:
        self.values: dict[str, Any] = dict(kw)
        if signature is not None:
            try:
                self.values = dict(signature.bind_partial(*args, **kw).arguments)
            except TypeError:
                pass

    def first(self, names: Sequence[str]) -> Any:
        for name in names:
            value = self.values.get(name)
            if value is not None:
                return value
        return None

    def text(self, names: Sequence[str]) -> str | None:
        value = self.first(names)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        name = getattr(value, "name", None)  # an agent or tool object
        return name if isinstance(name, str) else str(value)


def tool_wrapper(names: ArgumentNames) -> Wrapper:
    """Each call → ``execute_tool {tool}`` (tool name from an argument, else the function name)."""

    def build(wrapped: Any, instance: Any, call: _Call) -> Scope:
        tool_name = call.text(names.tool_name) or str(getattr(wrapped, "__name__", "tool"))
        size, unit = _size(call.first(names.input_size))
        return ToolScope(
            tool_name,
            call_id=call.text(names.call_id),
            input_size=size,
            input_unit=unit,
            arguments=_arguments(call),
        )

    return _wrapper(build)


def delegation_wrapper(names: ArgumentNames) -> Wrapper:
    """Each call → ``execute_tool {function} {target}`` with transfer and category attributes."""

    def build(wrapped: Any, instance: Any, call: _Call) -> Scope:
        return DelegationScope(
            call.text(names.target) or "unknown",
            category=call.text(names.category),
            task=call.text(names.task),
            tool_name=getattr(wrapped, "__name__", "delegate"),
        )

    return _wrapper(build)


def agent_wrapper(names: ArgumentNames) -> Wrapper:
    """Each call → ``invoke_agent {name}`` (name from an argument, ``self.name``, or the class)."""

    def build(wrapped: Any, instance: Any, call: _Call) -> Scope:
        name = call.text(names.agent_name) or getattr(instance, "name", None)
        if not isinstance(name, str) or not name:
            name = type(instance).__name__ if instance is not None else wrapped.__name__
        return AgentScope(name, conversation_id=call.text(names.conversation_id))

    return _wrapper(build)


def _wrapper(build: Callable[[Any, Any, _Call], Scope]) -> Wrapper:
    signatures: dict[int, inspect.Signature | None] = {}

    def scope_for(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kw: dict[str, Any]
    ) -> Scope | None:
        try:
            key = id(wrapped)
            if key not in signatures:
                signatures[key] = _signature(wrapped)
            return build(wrapped, instance, _Call(signatures[key], args, kw))
        except Exception:
            warn_internal("wrap_call", "could not describe a call to %r", wrapped)
            return None

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
        scope = scope_for(wrapped, instance, args, kw)
        if inspect.iscoroutinefunction(wrapped):
            return _run_async(scope, wrapped, args, kw)
        if scope is None:
            return wrapped(*args, **kw)
        with scope:
            result = wrapped(*args, **kw)
            scope._safe_observe_result(result)
            return result

    return wrapper


async def _run_async(
    scope: Scope | None, wrapped: Any, args: tuple[Any, ...], kw: dict[str, Any]
) -> Any:
    if scope is None:
        return await wrapped(*args, **kw)
    async with scope:
        result = await wrapped(*args, **kw)
        scope._safe_observe_result(result)
        return result


def _signature(fn: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _size(value: Any) -> tuple[int | None, str | None]:
    if isinstance(value, str):
        return len(value.encode("utf-8", errors="replace")), "bytes"
    if isinstance(value, (bytes, bytearray)):
        return len(value), "bytes"
    if isinstance(value, (list, tuple, dict, set)):
        return len(value), "items"
    return None, None


def _arguments(call: _Call) -> Any:
    return {key: value for key, value in call.values.items() if key not in ("self", "cls")}
