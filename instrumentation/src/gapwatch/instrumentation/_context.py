"""What gapwatch carries in the OpenTelemetry context: the conversation id and the open scopes.

Keeping these in the OTel context (not in separate context variables) means they follow the span
wherever the trace context goes: across threads and tasks that copy the context, and into spans
made by other instrumentations, which :class:`ConversationIdProcessor` stamps with the id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from gapwatch.semconv import attributes as A

if TYPE_CHECKING:
    from gapwatch.instrumentation._spans import AgentScope, ToolScope

CONVERSATION_KEY = otel_context.create_key("gapwatch.conversation_id")
AGENT_KEY = otel_context.create_key("gapwatch.agent_scope")
TOOL_KEY = otel_context.create_key("gapwatch.tool_scope")


def current_conversation_id(ctx: Context | None = None) -> str | None:
    """The conversation (session) id in scope, if any."""
    value = otel_context.get_value(CONVERSATION_KEY, ctx)
    return value if isinstance(value, str) else None


def current_agent(ctx: Context | None = None) -> AgentScope | None:
    """The innermost open ``invoke_agent`` scope of this process, if any."""
    value: Any = otel_context.get_value(AGENT_KEY, ctx)
    return value  # type: ignore[no-any-return]


def current_tool(ctx: Context | None = None) -> ToolScope | None:
    """The innermost open ``execute_tool`` scope, if any."""
    value: Any = otel_context.get_value(TOOL_KEY, ctx)
    return value  # type: ignore[no-any-return]


class ConversationIdProcessor(SpanProcessor):
    """Stamps ``gen_ai.conversation.id`` from the context on every span started in it.

    gapwatch's own spans already carry the id; this processor extends it to spans of other
    instrumentations (LLM client spans, HTTP spans) started inside a conversation.
    ``configure()`` adds it to the provider it creates; add it yourself to a provider you own.
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        conversation_id = current_conversation_id(parent_context)
        if conversation_id is not None and span.is_recording():
            attributes = span.attributes
            if attributes is None or A.GEN_AI_CONVERSATION_ID not in attributes:
                span.set_attribute(A.GEN_AI_CONVERSATION_ID, conversation_id)

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
