"""The manual API's spans: agent runs, tool calls, in-process and remote delegations.

    with agent("orchestrator", conversation_id="c-42"):
        with delegation("researcher", category="research", task="find prior art"):
            with agent("researcher"):
                with tool("web_search", call_id="call_1") as call:
                    call.set_result(search(query))

Each function returns a :class:`~gapwatch.instrumentation._scope.Scope`: a sync or async
context manager, or a decorator (``@tool("web_search")``) that opens one span per call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from gapwatch.instrumentation import _state
from gapwatch.instrumentation._context import AGENT_KEY, TOOL_KEY, current_agent
from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._outcome import (
    OK,
    Classification,
    ResultClassifier,
    classify_exception,
)
from gapwatch.instrumentation._propagation import inject_context
from gapwatch.instrumentation._scope import Attributes, Scope, content
from gapwatch.semconv import attributes as A
from gapwatch.semconv.values import (
    CALLER_AGENT,
    OP_EXECUTE_TOOL,
    OP_INVOKE_AGENT,
    TRANSFER_RETURN_TO_CALLER,
    ToolOutcome,
)

InputSize = int | Callable[..., int | None] | None

# Outcomes after which the span status is ERROR. A soft error keeps the status unset: the call
# itself worked, the payload says it did not.
_FAILED = frozenset({ToolOutcome.ERROR, ToolOutcome.TIMEOUT, ToolOutcome.BLOCKED})
DEFAULT_DELEGATION_TOOL = "delegate"


class AgentScope(Scope):
    """An agent run: ``invoke_agent {name}``, INTERNAL.

    Sets ``gen_ai.operation.name``, ``gen_ai.agent.name``, ``gen_ai.conversation.id`` (also
    carried to every child), ``gen_ai.agent.version``/``gapwatch.agent.version`` and
    ``gapwatch.prompt.version`` when known, ``error.type`` on failure.
    """

    def __init__(
        self,
        name: str,
        *,
        conversation_id: str | None = None,
        version: str | None = None,
        prompt_version: str | None = None,
        description: str | None = None,
        parent: Context | Mapping[str, str] | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        super().__init__(parent=parent, conversation_id=conversation_id, attributes=attributes)
        self.name = name
        self.version = version
        self.prompt_version = prompt_version
        self.description = description
        self._attempts: dict[tuple[str, str], int] = {}

    def _span_name(self) -> str:
        return f"{OP_INVOKE_AGENT} {self.name}" if self.name else OP_INVOKE_AGENT

    def _start_attributes(self, ctx: Context, conversation_id: str | None) -> Attributes:
        settings = _state.settings()
        attributes: Attributes = {
            A.GEN_AI_OPERATION_NAME: OP_INVOKE_AGENT,
            A.GEN_AI_AGENT_NAME: self.name,
        }
        if conversation_id is not None:
            attributes[A.GEN_AI_CONVERSATION_ID] = conversation_id
        version = self.version or settings.agent_version
        if version:
            attributes[A.GEN_AI_AGENT_VERSION] = version
            attributes[A.GAPWATCH_AGENT_VERSION] = version
        prompt_version = self.prompt_version or settings.prompt_version
        if prompt_version:
            attributes[A.GAPWATCH_PROMPT_VERSION] = prompt_version
        if self.description:
            attributes[A.GEN_AI_AGENT_DESCRIPTION] = self.description
        return attributes

    def _inner_context(self, ctx: Context) -> Context:
        self._attempts = {}
        return otel_context.set_value(AGENT_KEY, self, ctx)

    def set_usage(self, input_tokens: int | None = None, output_tokens: int | None = None) -> None:
        """Record the run's aggregate token usage (``gen_ai.usage.*``)."""
        if input_tokens is not None:
            self.set_attribute(A.GEN_AI_USAGE_INPUT_TOKENS, input_tokens)
        if output_tokens is not None:
            self.set_attribute(A.GEN_AI_USAGE_OUTPUT_TOKENS, output_tokens)

    def next_attempt(self, tool_name: str, call_id: str) -> int:
        """1 for the first call of ``(tool, call id)`` in this run, 2… for its retries."""
        key = (tool_name, call_id)
        attempt = self._attempts.get(key, 0) + 1
        self._attempts[key] = attempt
        return attempt


class ToolScope(Scope):
    """A tool call: ``execute_tool {tool}``, INTERNAL.

    Sets ``gen_ai.operation.name``, ``gen_ai.tool.name``, ``gen_ai.tool.type``,
    ``gen_ai.tool.call.id``, ``gen_ai.agent.name`` (the calling agent), ``gen_ai.conversation.id``,
    ``gapwatch.attempt``, ``gapwatch.input.size``/``unit``, and at the end
    ``gapwatch.tool.outcome`` with ``error.type``, ``gapwatch.blocked.reason`` and
    ``gapwatch.desired_capability`` as the outcome needs. ``gen_ai.tool.call.arguments`` and
    ``.result`` only with content capture on.
    """

    def __init__(
        self,
        name: str,
        *,
        call_id: str | None = None,
        tool_type: str | None = None,
        description: str | None = None,
        arguments: Any = None,
        attempt: int | None = None,
        input_size: InputSize = None,
        input_unit: str | None = None,
        classifier: ResultClassifier | None = None,
        parent: Context | Mapping[str, str] | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        super().__init__(parent=parent, attributes=attributes)
        self.name = name
        self.call_id = call_id
        self.tool_type = tool_type
        self.description = description
        self.arguments = arguments
        self.attempt = attempt
        self.input_size = input_size
        self.input_unit = input_unit
        self.classifier = classifier
        self._classification: Classification | None = None
        self._forced: Classification | None = None
        self._result: Any = None
        self._has_result = False
        self._signature: inspect.Signature | None = None

    # -- public ---------------------------------------------------------------------------
    def set_result(self, result: Any) -> None:
        """Record what the tool returned; it is classified (ok / soft_error / …) at the end."""
        self._result = result
        self._has_result = True

    def block(self, reason: str, desired_capability: str | None = None) -> None:
        """Mark the call as refused by a permission or policy (no exception needed)."""
        self._forced = Classification(
            ToolOutcome.BLOCKED,
            error_type="blocked",
            reason=reason,
            desired_capability=desired_capability,
        )

    def set_outcome(self, classification: Classification) -> None:
        """Force the outcome, overriding classification of the exception or result."""
        self._forced = classification

    def mark_transfer(self, target: str, mode: str = TRANSFER_RETURN_TO_CALLER) -> None:
        """Turn this tool call into a delegation to ``target`` (agent exposed as a tool)."""
        self.set_attribute(A.GEN_AI_TRANSFER_TARGET_NAME, target)
        self.set_attribute(A.GEN_AI_TRANSFER_MODE, mode)

    def set_input_size(self, size: int, unit: str = "bytes") -> None:
        self.set_attribute(A.GAPWATCH_INPUT_SIZE, size)
        self.set_attribute(A.GAPWATCH_INPUT_UNIT, unit)

    @property
    def outcome(self) -> ToolOutcome | None:
        """The outcome once the scope has closed."""
        return self._classification.outcome if self._classification else None

    # -- Scope hooks ----------------------------------------------------------------------
    def _span_name(self) -> str:
        return f"{OP_EXECUTE_TOOL} {self.name}"

    def _start_attributes(self, ctx: Context, conversation_id: str | None) -> Attributes:
        attributes: Attributes = {
            A.GEN_AI_OPERATION_NAME: OP_EXECUTE_TOOL,
            A.GEN_AI_TOOL_NAME: self.name,
        }
        caller = current_agent(ctx)
        if caller is not None:
            attributes[A.GEN_AI_AGENT_NAME] = caller.name
        if conversation_id is not None:
            attributes[A.GEN_AI_CONVERSATION_ID] = conversation_id
        if self.call_id:
            attributes[A.GEN_AI_TOOL_CALL_ID] = self.call_id
        if self.tool_type:
            attributes[A.GEN_AI_TOOL_TYPE] = self.tool_type
        if self.description:
            attributes[A.GEN_AI_TOOL_DESCRIPTION] = self.description
        attempt = self.attempt
        if attempt is None:
            attempt = caller.next_attempt(self.name, self.call_id) if caller and self.call_id else 1
        attributes[A.GAPWATCH_ATTEMPT] = attempt
        if isinstance(self.input_size, int) and not isinstance(self.input_size, bool):
            attributes[A.GAPWATCH_INPUT_SIZE] = self.input_size
            attributes[A.GAPWATCH_INPUT_UNIT] = self.input_unit or "bytes"
        if self.arguments is not None and _state.settings().capture_content:
            attributes[A.GEN_AI_TOOL_CALL_ARGUMENTS] = content(self.arguments)
        return attributes

    def _inner_context(self, ctx: Context) -> Context:
        return otel_context.set_value(TOOL_KEY, self, ctx)

    def _observe_call(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]
    ) -> None:
        if callable(self.input_size):
            self.input_size = self.input_size(*args, **kw)
        if self.arguments is None and _state.settings().capture_content:
            self.arguments = _bind_arguments(fn, args, kw)

    def _observe_result(self, result: Any) -> None:
        self.set_result(result)

    def _result_content(self) -> Any:
        """What ``gen_ai.tool.call.result`` records: the result itself unless a subclass
        knows a better serializable form."""
        return self._result

    def _end_attributes(self, exc: BaseException | None) -> tuple[Attributes, str | None]:
        settings = _state.settings()
        if self._forced is not None:
            classification = self._forced
        elif exc is not None:
            classification = classify_exception(
                exc, settings.blocked_exceptions, settings.timeout_exceptions
            )
        elif self._has_result:
            classification = self._classify_result(settings.result_classifier)
        else:
            classification = OK
        self._classification = classification
        attributes: Attributes = {A.GAPWATCH_TOOL_OUTCOME: classification.outcome.value}
        if classification.error_type:
            attributes[A.ERROR_TYPE] = classification.error_type
        if classification.reason:
            attributes[A.GAPWATCH_BLOCKED_REASON] = content(classification.reason)
        if classification.desired_capability:
            attributes[A.GAPWATCH_DESIRED_CAPABILITY] = classification.desired_capability
        if self._has_result and settings.capture_content and self._result is not None:
            attributes[A.GEN_AI_TOOL_CALL_RESULT] = content(self._result_content())
        if classification.outcome not in _FAILED:
            return attributes, None
        if exc is not None:
            return attributes, content(f"{type(exc).__qualname__}: {exc}")[:512]
        return attributes, classification.reason or classification.outcome.value

    def _classify_result(self, default: ResultClassifier | None) -> Classification:
        return self._run_classifier(self._result, default)

    def _run_classifier(self, value: Any, default: ResultClassifier | None) -> Classification:
        classifier = self.classifier or default
        if classifier is None:
            return OK
        try:
            return classifier(value) or OK
        except Exception:
            warn_internal("classifier", "the result classifier failed; outcome recorded as ok")
            return OK


class DelegationScope(ToolScope):
    """An in-process delegation: ``execute_tool {tool} {target}``, INTERNAL.

    A tool call (see :class:`ToolScope`) that transfers work to another agent, adding
    ``gen_ai.transfer.target.name``, ``gen_ai.transfer.mode``, ``gapwatch.delegation.category``
    and, with content capture on, ``gapwatch.task``. Open the delegate's own :func:`agent` scope
    inside it so its run nests as the child ``invoke_agent`` span.
    """

    def __init__(
        self,
        target: str,
        *,
        category: str | None = None,
        task: str | None = None,
        mode: str = TRANSFER_RETURN_TO_CALLER,
        tool_name: str = DEFAULT_DELEGATION_TOOL,
        **kwargs: Any,
    ) -> None:
        super().__init__(tool_name, **kwargs)
        self.target = target
        self.category = category
        self.task = task
        self.mode = mode

    def _span_name(self) -> str:
        return f"{OP_EXECUTE_TOOL} {self.name} {self.target}"

    def _start_attributes(self, ctx: Context, conversation_id: str | None) -> Attributes:
        attributes = super()._start_attributes(ctx, conversation_id)
        attributes[A.GEN_AI_TRANSFER_TARGET_NAME] = self.target
        attributes[A.GEN_AI_TRANSFER_MODE] = self.mode
        if self.category:
            attributes[A.GAPWATCH_DELEGATION_CATEGORY] = self.category
        if self.task is not None and _state.settings().capture_content:
            attributes[A.GAPWATCH_TASK] = content(self.task)
        return attributes


class RemoteAgentScope(ToolScope):
    """A call to an agent in another process: ``invoke_agent {name}``, CLIENT.

    Sets ``gen_ai.agent.name`` (the invoked agent), ``gen_ai.caller.type``/``.name`` (the calling
    agent, by default the enclosing :func:`agent`), ``gen_ai.conversation.id``, and the outcome
    attributes of :class:`ToolScope`. Call :meth:`inject` to put the trace context into the
    request headers.
    """

    kind = SpanKind.CLIENT

    def __init__(
        self,
        name: str,
        *,
        caller_name: str | None = None,
        caller_type: str = CALLER_AGENT,
        task: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.caller_name = caller_name
        self.caller_type = caller_type
        self.task = task

    def _span_name(self) -> str:
        return f"{OP_INVOKE_AGENT} {self.name}"

    def _start_attributes(self, ctx: Context, conversation_id: str | None) -> Attributes:
        attributes: Attributes = {
            A.GEN_AI_OPERATION_NAME: OP_INVOKE_AGENT,
            A.GEN_AI_AGENT_NAME: self.name,
            A.GEN_AI_CALLER_TYPE: self.caller_type,
        }
        caller = self.caller_name
        if caller is None:
            enclosing = current_agent(ctx)
            caller = enclosing.name if enclosing is not None else None
        if caller:
            attributes[A.GEN_AI_CALLER_NAME] = caller
        if conversation_id is not None:
            attributes[A.GEN_AI_CONVERSATION_ID] = conversation_id
        if self.attempt is not None:
            attributes[A.GAPWATCH_ATTEMPT] = self.attempt
        if self.task is not None and _state.settings().capture_content:
            attributes[A.GAPWATCH_TASK] = content(self.task)
        return attributes

    def inject(self, carrier: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
        """Write this span's trace context (and the conversation id) into ``carrier``."""
        return inject_context(carrier)


def agent(name: str, **kwargs: Any) -> AgentScope:
    """An agent run (``invoke_agent {name}``); see :class:`AgentScope` for the options."""
    return AgentScope(name, **kwargs)


def tool(name: str, **kwargs: Any) -> ToolScope:
    """A tool call (``execute_tool {name}``); see :class:`ToolScope` for the options."""
    return ToolScope(name, **kwargs)


def delegation(target: str, **kwargs: Any) -> DelegationScope:
    """An in-process delegation to agent ``target``; see :class:`DelegationScope`."""
    return DelegationScope(target, **kwargs)


def remote_agent(name: str, **kwargs: Any) -> RemoteAgentScope:
    """A call to the agent ``name`` in another process; see :class:`RemoteAgentScope`."""
    return RemoteAgentScope(name, **kwargs)


def _bind_arguments(fn: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kw)
    except (TypeError, ValueError):
        return {"args": list(args), "kwargs": kw}
    return {key: value for key, value in bound.arguments.items() if key not in ("self", "cls")}
