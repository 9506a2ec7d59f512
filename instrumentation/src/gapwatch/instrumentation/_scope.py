"""The machinery every gapwatch span shares: one object that is a sync and async context manager
and, applied to a function, a decorator that opens a fresh scope per call.

Subclasses say what the span is (name, kind, attributes at start) and how it ends. This module
guarantees the two rules of the package: the agent's exceptions propagate unchanged (``__exit__``
never suppresses), and gapwatch's own failures are logged, never raised into the agent.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from gapwatch.instrumentation import _state
from gapwatch.instrumentation._content import prepare_content
from gapwatch.instrumentation._context import CONVERSATION_KEY, current_conversation_id
from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._propagation import extract_context
from gapwatch.semconv import attributes as A

F = TypeVar("F", bound=Callable[..., Any])

Attributes = dict[str, AttributeValue]


class Scope:
    """One gapwatch span; use ``with``/``async with``, or as a decorator."""

    kind: SpanKind = SpanKind.INTERNAL

    def __init__(
        self,
        *,
        parent: Context | Mapping[str, str] | None = None,
        conversation_id: str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        self._parent = parent
        self._conversation_id = conversation_id
        self._extra = dict(attributes) if attributes else None
        self._token: object | None = None
        self.span: Span = INVALID_SPAN

    # -- what subclasses provide ------------------------------------------------------------
    def _span_name(self) -> str:
        raise NotImplementedError

    def _start_attributes(self, ctx: Context, conversation_id: str | None) -> Attributes:
        raise NotImplementedError

    def _inner_context(self, ctx: Context) -> Context:
        """Context values the scope adds for its children (beyond the span itself)."""
        return ctx

    def _end_attributes(self, exc: BaseException | None) -> tuple[Attributes, str | None]:
        """Attributes to set when the scope closes, and an error description (None: success)."""
        if exc is None:
            return {}, None
        return {A.ERROR_TYPE: error_type_of(exc)}, _describe(exc)

    def _observe_call(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]
    ) -> None:
        """Called on the per-call copy before the span starts when used as a decorator."""

    def _observe_result(self, result: Any) -> None:
        """Called with the decorated function's return value."""

    # -- context manager protocol -----------------------------------------------------------
    def __enter__(self) -> Self:
        self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(exc)

    async def __aenter__(self) -> Self:
        self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(exc)

    def __call__(self, fn: F) -> F:
        """Decorate ``fn``: each call runs inside a fresh copy of this scope."""
        template = self
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                scope = template._copy_for_call(fn, args, kwargs)
                async with scope:
                    result = await fn(*args, **kwargs)
                    scope._safe_observe_result(result)
                    return result

            return cast(F, async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            scope = template._copy_for_call(fn, args, kwargs)
            with scope:
                result = fn(*args, **kwargs)
                scope._safe_observe_result(result)
                return result

        return cast(F, wrapper)

    # -- helpers available to users ---------------------------------------------------------
    def set_attribute(self, key: str, value: AttributeValue) -> None:
        """Set an attribute on the span (ignored when not recording)."""
        if self.span.is_recording():
            self.span.set_attribute(key, value)

    # -- internals --------------------------------------------------------------------------
    def _copy_for_call(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]
    ) -> Self:
        # A shallow copy by hand: copy.copy goes through __reduce_ex__ and costs a microsecond
        # or two on every decorated call.
        scope = object.__new__(type(self))
        scope.__dict__.update(self.__dict__)
        scope.span = INVALID_SPAN
        scope._token = None
        try:
            scope._observe_call(fn, args, kw)
        except Exception:
            warn_internal("observe_call", "could not inspect the arguments of %r", fn)
        return scope

    def _safe_observe_result(self, result: Any) -> None:
        try:
            self._observe_result(result)
        except Exception:
            warn_internal("observe_result", "could not classify a result of %s", self._span_name())

    def _parent_context(self) -> Context:
        parent = self._parent
        if parent is None:
            return otel_context.get_current()
        if isinstance(parent, Context):
            return parent
        return extract_context(parent)

    def _start(self) -> None:
        if self._token is not None:
            warn_internal(
                "reentered", "a gapwatch scope was entered twice; ignoring", exc_info=False
            )
            return
        try:
            ctx = self._parent_context()
            conversation_id = self._conversation_id or current_conversation_id(ctx)
            attributes = self._start_attributes(ctx, conversation_id)
            if self._extra:
                attributes.update(self._extra)
            span = _state.tracer().start_span(
                self._span_name(),
                ctx,
                self.kind,
                attributes,
                record_exception=False,
                set_status_on_exception=False,
            )
            inner = trace.set_span_in_context(span, ctx)
            if self._conversation_id is not None:
                inner = otel_context.set_value(CONVERSATION_KEY, self._conversation_id, inner)
            self.span = span
            self._token = otel_context.attach(self._inner_context(inner))
        except Exception:
            warn_internal("start", "could not start a span")

    def _finish(self, exc: BaseException | None) -> None:
        token, self._token = self._token, None
        if token is not None:
            try:
                otel_context.detach(token)  # type: ignore[arg-type]
            except Exception:
                warn_internal("detach", "could not restore the context")
        span = self.span
        if not span.is_recording():
            return
        try:
            attributes, error = self._end_attributes(exc)
            if attributes:
                span.set_attributes(attributes)
            if exc is not None:
                _record_exception(span, exc)
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, error))
        except Exception:
            warn_internal("finish", "could not complete span %s", self._span_name())
        finally:
            span.end()


def error_type_of(exc: BaseException) -> str:
    """The ``error.type`` of an exception: its class name (qualified for nested classes)."""
    return type(exc).__qualname__


REDACTION_FAILED = "[redaction failed]"


def content(value: Any) -> str:
    """``value`` prepared for a content attribute under the current settings."""
    settings = _state.settings()
    try:
        return prepare_content(value, settings.redactor, settings.max_value_size)
    except Exception:
        # Fail closed: content that could not be redacted is never exported.
        warn_internal("redactor", "the redactor failed; content withheld")
        return REDACTION_FAILED


def _describe(exc: BaseException) -> str:
    return content(f"{type(exc).__qualname__}: {exc}")[:512]


def _record_exception(span: Span, exc: BaseException) -> None:
    # Exception messages often echo inputs (paths, queries, e-mails): redact them like content.
    span.record_exception(exc, attributes={A.EXCEPTION_MESSAGE: content(str(exc))}, escaped=True)
