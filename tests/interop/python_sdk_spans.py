"""Record the interop scenario with the OpenTelemetry Python SDK, with exact ids and times.

Returns the SDK's own finished spans (``ReadableSpan``), ready for any span exporter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags, TraceState
from opentelemetry.trace.status import Status, StatusCode


class ScriptedIds(IdGenerator):
    """Hands out the ids the scenario prescribes, one span at a time."""

    def __init__(self) -> None:
        self.trace_id = 0
        self.span_id = 0

    def generate_trace_id(self) -> int:
        return self.trace_id

    def generate_span_id(self) -> int:
        return self.span_id


def _trace_state(header: str) -> TraceState:
    return TraceState.from_header([header]) if header else TraceState()


def _values(attributes: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in attributes.items():
        if isinstance(value, dict) and "$bigint" in value:
            value = int(value["$bigint"])
        elif isinstance(value, dict):
            raise ValueError(f"the Python SDK cannot send {key!r}: {value!r}")
        out[key] = value
    return out


def record_spans(spec: dict[str, Any]) -> Sequence[ReadableSpan]:
    ids = ScriptedIds()
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource(_values(spec["resource"])), id_generator=ids)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for span_spec in spec["spans"]:
        scope = span_spec["scope"]
        tracer = provider.get_tracer(scope["name"], scope["version"] or None)
        trace_id = int(span_spec["trace_id"], 16)
        parent = span_spec["parent"]
        if parent is None:
            context = Context()
        else:
            parent_context = SpanContext(
                trace_id,
                int(parent["span_id"], 16),
                is_remote=True,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
                trace_state=_trace_state(parent["trace_state"]),
            )
            context = trace_api.set_span_in_context(
                trace_api.NonRecordingSpan(parent_context), Context()
            )
        links = [
            Link(
                SpanContext(
                    int(link["trace_id"], 16),
                    int(link["span_id"], 16),
                    is_remote=True,
                    trace_flags=TraceFlags(TraceFlags.SAMPLED),
                    trace_state=_trace_state(link["trace_state"]),
                ),
                _values(link["attributes"]) or None,
            )
            for link in span_spec["links"]
        ]
        ids.trace_id = trace_id
        ids.span_id = int(span_spec["span_id"], 16)
        span = tracer.start_span(
            span_spec["name"],
            context=context,
            kind=SpanKind[span_spec["kind"].upper()],
            attributes=_values(span_spec["attributes"]),
            links=links,
            start_time=int(span_spec["start_ns"]),
        )
        for event in span_spec["events"]:
            span.add_event(event["name"], _values(event["attributes"]), int(event["time_ns"]))
        status = span_spec["status"]
        if status["code"] == "ok":
            span.set_status(Status(StatusCode.OK))
        elif status["code"] == "error":
            span.set_status(Status(StatusCode.ERROR, status["message"] or None))
        span.end(end_time=int(span_spec["end_ns"]))
    provider.shutdown()
    return memory.get_finished_spans()
