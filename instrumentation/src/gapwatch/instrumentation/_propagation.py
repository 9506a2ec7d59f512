"""W3C trace-context propagation for delegation to a remote agent.

The caller injects its ``invoke_agent`` CLIENT span into the request headers; the remote agent
extracts them and opens its own ``invoke_agent`` span as a child, so both halves are one trace.
The conversation id travels as W3C baggage (``gen_ai.conversation.id``).

    headers = inject_context({})             # caller, inside remote_agent(...)
    with agent("billing", parent=headers):   # callee
        ...
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from opentelemetry import baggage, propagate
from opentelemetry import context as otel_context
from opentelemetry.context import Context

from gapwatch.instrumentation._context import CONVERSATION_KEY, current_conversation_id
from gapwatch.semconv import attributes as A


def inject_context(
    carrier: MutableMapping[str, str] | None = None, context: Context | None = None
) -> MutableMapping[str, str]:
    """Write the current trace context (and conversation id) into ``carrier``; return it."""
    carrier = {} if carrier is None else carrier
    ctx = otel_context.get_current() if context is None else context
    conversation_id = current_conversation_id(ctx)
    if conversation_id is not None:
        ctx = baggage.set_baggage(A.GEN_AI_CONVERSATION_ID, conversation_id, ctx)
    propagate.inject(carrier, context=ctx)
    return carrier


def extract_context(carrier: Mapping[str, str], context: Context | None = None) -> Context:
    """A context continuing the trace (and conversation) carried in ``carrier``."""
    ctx = propagate.extract(carrier, context=context)
    conversation_id = baggage.get_baggage(A.GEN_AI_CONVERSATION_ID, ctx)
    if isinstance(conversation_id, str) and conversation_id:
        ctx = otel_context.set_value(CONVERSATION_KEY, conversation_id, ctx)
    return ctx
