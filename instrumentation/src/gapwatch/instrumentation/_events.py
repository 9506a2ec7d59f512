"""Span events for what happens around tool calls: refusals, human feedback, corrections.

    record_blocked("write_file", "path outside sandbox", desired_capability="write src/")
    record_feedback(-1, comment="wrong file")
    record_user_correction("user rewrote the summary")

Each event lands on the current span. Feedback often arrives after the run has ended; pass the
run's propagated context (``parent=headers``) and the event is carried by a short
``gapwatch.feedback`` span in the same trace instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span

from gapwatch.instrumentation import _state
from gapwatch.instrumentation._context import current_agent, current_conversation_id, current_tool
from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._propagation import extract_context
from gapwatch.instrumentation._scope import Attributes, content
from gapwatch.semconv import attributes as A

FEEDBACK_SPAN_NAME = "gapwatch.feedback"


def record_blocked(tool: str, reason: str, desired_capability: str | None = None) -> None:
    """Record that a permission or policy refused ``tool`` (event ``gapwatch.blocked``).

    Sets ``gen_ai.tool.name``, ``gapwatch.blocked.reason`` and ``gapwatch.desired_capability``.
    When the current gapwatch tool scope is that tool, its outcome also becomes ``blocked``.
    """
    try:
        attributes: Attributes = {
            A.GEN_AI_TOOL_NAME: tool,
            A.GAPWATCH_BLOCKED_REASON: content(reason),
        }
        if desired_capability:
            attributes[A.GAPWATCH_DESIRED_CAPABILITY] = desired_capability
        scope = current_tool()
        if scope is not None and scope.name == tool:
            scope.block(reason, desired_capability)
        _emit(A.EVENT_BLOCKED, attributes, None)
    except Exception:
        warn_internal("record_blocked", "could not record a blocked event")


def record_feedback(
    rating: float,
    comment: str | None = None,
    *,
    source: str | None = None,
    parent: Context | Mapping[str, str] | None = None,
) -> None:
    """Record a human rating of the agent's work (event ``gapwatch.feedback``).

    Sets ``gapwatch.feedback.rating`` (negative is bad), ``gapwatch.feedback.comment`` (redacted,
    capped) and ``gapwatch.feedback.source`` when given.
    """
    try:
        attributes: Attributes = {A.FEEDBACK_RATING: rating}
        if comment:
            attributes[A.FEEDBACK_COMMENT] = content(comment)
        if source:
            attributes[A.FEEDBACK_SOURCE] = source
        _emit(A.EVENT_FEEDBACK, attributes, parent)
    except Exception:
        warn_internal("record_feedback", "could not record feedback")


def record_user_correction(
    description: str,
    *,
    parent: Context | Mapping[str, str] | None = None,
) -> None:
    """Record that a person fixed what the agent produced (event ``gapwatch.user_correction``).

    Sets ``gapwatch.correction.description`` (redacted, capped).
    """
    try:
        attributes: Attributes = {A.CORRECTION_DESCRIPTION: content(description)}
        _emit(A.EVENT_USER_CORRECTION, attributes, parent)
    except Exception:
        warn_internal("record_user_correction", "could not record a user correction")


def _emit(name: str, attributes: Attributes, parent: Context | Mapping[str, str] | None) -> None:
    if parent is None:
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event(name, attributes)
            return
        ctx = otel_context.get_current()
    else:
        ctx = parent if isinstance(parent, Context) else extract_context(parent)
    # No live span to hold the event: carry it on a short span of its own in the same trace.
    carrier: Span = _state.tracer().start_span(FEEDBACK_SPAN_NAME, ctx)
    conversation_id = current_conversation_id(ctx)
    if conversation_id is not None:
        carrier.set_attribute(A.GEN_AI_CONVERSATION_ID, conversation_id)
    enclosing = current_agent(ctx)
    if enclosing is not None:
        carrier.set_attribute(A.GEN_AI_AGENT_NAME, enclosing.name)
    carrier.add_event(name, attributes)
    carrier.end()
