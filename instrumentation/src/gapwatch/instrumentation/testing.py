"""Test helpers: capture gapwatch spans in memory and look them up.

    from gapwatch.instrumentation.testing import capture_spans

    def test_search_tool_is_traced():
        with capture_spans() as spans:
            run_my_agent()
        call = spans.one("execute_tool web_search")
        assert call.attributes["gapwatch.tool.outcome"] == "ok"

Spans go through a private provider with a synchronous processor, so they are available as soon
as they end; the global OpenTelemetry provider is not touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gapwatch.instrumentation import _state
from gapwatch.instrumentation._context import ConversationIdProcessor
from gapwatch.instrumentation._settings import Settings


class SpanRecorder:
    """Finished spans of one :func:`capture_spans` block, in the order they ended."""

    def __init__(self, provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
        self.provider = provider
        self.exporter = exporter

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        """Every finished span called ``name``."""
        return [span for span in self.spans if span.name == name]

    def one(self, name: str) -> ReadableSpan:
        """The single finished span called ``name`` (AssertionError otherwise)."""
        found = self.named(name)
        assert len(found) == 1, f"expected one span {name!r}, found {[s.name for s in self.spans]}"
        return found[0]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        """Finished spans whose parent is ``parent``."""
        parent_id = parent.context.span_id
        return [span for span in self.spans if span.parent and span.parent.span_id == parent_id]

    def parent_of(self, span: ReadableSpan) -> ReadableSpan | None:
        if span.parent is None:
            return None
        for candidate in self.spans:
            if candidate.context.span_id == span.parent.span_id:
                return candidate
        return None

    def clear(self) -> None:
        self.exporter.clear()


@contextmanager
def capture_spans(**settings: Any) -> Iterator[SpanRecorder]:
    """Record gapwatch spans in memory for the duration of the block.

    Keyword arguments override :class:`~gapwatch.instrumentation._settings.Settings` fields,
    e.g. ``capture_content=True``.
    """
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(ConversationIdProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous_provider = _state.tracer_provider()
    previous_settings = _state._settings
    _state.set_tracer_provider(provider)
    _state.set_settings(replace(Settings(), **settings))
    try:
        yield SpanRecorder(provider, exporter)
    finally:
        _state.set_tracer_provider(previous_provider)
        _state.set_settings(previous_settings)
        provider.shutdown()
