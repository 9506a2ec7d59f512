"""Build agent spans with the real OpenTelemetry SDK and store them the way the collector does.

Spans are recorded by the SDK's tracer into an in-memory exporter, encoded by the OTLP exporter's
own protobuf encoder and stored by the collector's ``ingest_request``: the bytes a real agent
would send, written by the code that writes them in production.

    recorder = SpanRecorder(seed=7)
    run = recorder.agent_run("planner", start=t0, duration=30, session="s1", task="book a flight")
    recorder.tool_call(run, "search", start=t0 + 1, duration=2, error="TimeoutError: 30s")
    recorder.store(client)

Times are seconds since the epoch (floats); ``hours_ago(3)`` gives a time inside the retention.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clickhouse_connect.driver.client import Client
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Span, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from gapwatch.analyzer.model import assemble_traces
from gapwatch.collector.ingest import ingest_request
from gapwatch.collector.writer import ClickHouseSpanWriter
from gapwatch.semconv import attributes as attr

NS = 1_000_000_000
AttributeValue = str | bool | int | float | Sequence[str] | Sequence[int] | Sequence[float]


def hours_ago(hours: float, *, now: float | None = None) -> float:
    """A timestamp ``hours`` before the start of the current hour (stable within an hour)."""
    current = time.time() if now is None else now
    return current - current % 3600 - hours * 3600


class SeededIdGenerator(IdGenerator):
    """Trace and span ids from a seeded generator, so test data is identical on every run."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._random.getrandbits(128) or 1


@dataclass
class SpanEvent:
    name: str
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    at: float | None = None  # seconds; defaults to the span's end


class SpanRecorder:
    """Records spans for several services into one in-memory exporter."""

    def __init__(self, seed: int = 0, scope: str = "gapwatch.tests") -> None:
        self._seed = seed
        self._scope = scope
        self.exporter = InMemorySpanExporter()
        self._providers: dict[tuple[tuple[str, str], ...], TracerProvider] = {}

    # --- generic ---------------------------------------------------------------------------

    def span(
        self,
        name: str,
        *,
        start: float,
        duration: float,
        attributes: Mapping[str, AttributeValue] | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        parent: Span | None = None,
        service: str = "agents",
        resource: Mapping[str, str] | None = None,
        status: StatusCode = StatusCode.UNSET,
        status_message: str | None = None,
        exception: BaseException | None = None,
        events: Sequence[SpanEvent] = (),
    ) -> Span:
        """Record one finished span; ``parent`` makes it a child in the parent's trace."""
        tracer = self._tracer(service, resource or {})
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = tracer.start_span(
            name,
            context=context,
            kind=kind,
            attributes=dict(attributes or {}),
            start_time=int(start * NS),
        )
        end_ns = int((start + duration) * NS)
        for event in events:
            at = end_ns if event.at is None else int(event.at * NS)
            span.add_event(event.name, dict(event.attributes), timestamp=at)
        if exception is not None:
            span.record_exception(exception, timestamp=end_ns)
        if status != StatusCode.UNSET:
            span.set_status(Status(status, status_message if status == StatusCode.ERROR else None))
        span.end(end_time=end_ns)
        assert isinstance(span, Span)
        return span

    def store(self, client: Client, *, assemble: bool = True) -> int:
        """Encode every recorded span as OTLP and ingest it; returns the number stored.

        Then the stored traces are assembled, as an analysis does before it detects anything.
        """
        spans = self.exporter.get_finished_spans()
        request = encode_spans(spans)
        result = ingest_request(ClickHouseSpanWriter(client), request)
        if result.rejected:
            raise AssertionError(f"collector rejected spans: {result.message}")
        self.exporter.clear()
        if assemble:
            assemble_traces(client, client.database or "default")
        return result.accepted

    # --- GenAI-shaped helpers (newest conventions + gapwatch extension) ---------------------

    def agent_run(
        self,
        agent: str,
        *,
        start: float,
        duration: float,
        session: str = "",
        task: str = "",
        user: str = "",
        parent: Span | None = None,
        service: str = "agents",
        version: str = "",
        prompt_version: str = "",
        offered_tools: Sequence[str] = (),
        error: str | None = None,
        feedback: float | None = None,
        corrections: int = 0,
        input_tokens: int = 0,
        output_tokens: int = 0,
        extra: Mapping[str, AttributeValue] | None = None,
    ) -> Span:
        """An ``invoke_agent`` INTERNAL span; ``error`` sets status ERROR with that message."""
        attributes: dict[str, AttributeValue] = {
            attr.GEN_AI_OPERATION_NAME: "invoke_agent",
            attr.GEN_AI_AGENT_NAME: agent,
        }
        _put(attributes, attr.GEN_AI_CONVERSATION_ID, session)
        _put(attributes, attr.GAPWATCH_TASK, task)
        _put(attributes, attr.USER_ID, user)
        _put(attributes, attr.GAPWATCH_AGENT_VERSION, version)
        _put(attributes, attr.GAPWATCH_PROMPT_VERSION, prompt_version)
        if offered_tools:
            attributes[attr.GEN_AI_TOOL_DEFINITIONS] = tool_definitions(offered_tools)
        if input_tokens or output_tokens:
            attributes[attr.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
            attributes[attr.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
        attributes.update(extra or {})
        events = list(_feedback_events(feedback, corrections))
        return self.span(
            f"invoke_agent {agent}",
            start=start,
            duration=duration,
            attributes=attributes,
            parent=parent,
            service=service,
            status=StatusCode.ERROR if error else StatusCode.UNSET,
            status_message=error,
            events=events,
        )

    def tool_call(
        self,
        parent: Span | None,
        tool: str,
        *,
        start: float,
        duration: float,
        agent: str = "",
        session: str = "",
        service: str = "agents",
        arguments: Mapping[str, Any] | None = None,
        result: Any = None,
        error: str | None = None,
        error_type: str | None = None,
        outcome: str | None = None,
        blocked_reason: str | None = None,
        desired_capability: str | None = None,
        input_size: float | None = None,
        input_unit: str | None = None,
        attempt: int | None = None,
        version: str = "",
        feedback: float | None = None,
        corrections: int = 0,
        extra: Mapping[str, AttributeValue] | None = None,
    ) -> Span:
        """An ``execute_tool`` span. ``error`` records an exception and status ERROR."""
        attributes: dict[str, AttributeValue] = {
            attr.GEN_AI_OPERATION_NAME: "execute_tool",
            attr.GEN_AI_TOOL_NAME: tool,
        }
        _put(attributes, attr.GEN_AI_AGENT_NAME, agent)
        _put(attributes, attr.GEN_AI_CONVERSATION_ID, session)
        _put(attributes, attr.GAPWATCH_AGENT_VERSION, version)
        if arguments is not None:
            attributes[attr.GEN_AI_TOOL_CALL_ARGUMENTS] = json.dumps(arguments, sort_keys=True)
        if result is not None:
            attributes[attr.GEN_AI_TOOL_CALL_RESULT] = (
                result if isinstance(result, str) else json.dumps(result)
            )
        if error_type:
            attributes[attr.ERROR_TYPE] = error_type
        _put(attributes, attr.GAPWATCH_TOOL_OUTCOME, outcome or "")
        _put(attributes, attr.GAPWATCH_BLOCKED_REASON, blocked_reason or "")
        _put(attributes, attr.GAPWATCH_DESIRED_CAPABILITY, desired_capability or "")
        if input_size is not None:
            attributes[attr.GAPWATCH_INPUT_SIZE] = input_size
            attributes[attr.GAPWATCH_INPUT_UNIT] = input_unit or "lines"
        if attempt is not None:
            attributes[attr.GAPWATCH_ATTEMPT] = attempt
        attributes.update(extra or {})
        exception = _exception(error, error_type) if error else None
        return self.span(
            f"execute_tool {tool}",
            start=start,
            duration=duration,
            attributes=attributes,
            parent=parent,
            service=service,
            status=StatusCode.ERROR if error else StatusCode.UNSET,
            status_message=error,
            exception=exception,
            events=list(_feedback_events(feedback, corrections)),
        )

    def delegation(
        self,
        parent: Span | None,
        caller: str,
        target: str,
        *,
        start: float,
        duration: float,
        category: str = "",
        session: str = "",
        service: str = "agents",
        error: str | None = None,
        outcome: str | None = None,
    ) -> Span:
        """An ``invoke_agent`` CLIENT span: ``caller`` delegates to ``target``."""
        attributes: dict[str, AttributeValue] = {
            attr.GEN_AI_OPERATION_NAME: "invoke_agent",
            attr.GEN_AI_AGENT_NAME: target,
            attr.GEN_AI_CALLER_TYPE: "agent",
            attr.GEN_AI_CALLER_NAME: caller,
        }
        _put(attributes, attr.GAPWATCH_DELEGATION_CATEGORY, category)
        _put(attributes, attr.GEN_AI_CONVERSATION_ID, session)
        _put(attributes, attr.GAPWATCH_TOOL_OUTCOME, outcome or "")
        return self.span(
            f"invoke_agent {target}",
            start=start,
            duration=duration,
            attributes=attributes,
            kind=SpanKind.CLIENT,
            parent=parent,
            service=service,
            status=StatusCode.ERROR if error else StatusCode.UNSET,
            status_message=error,
        )

    def llm_call(
        self,
        parent: Span | None,
        *,
        start: float,
        duration: float,
        model: str = "gpt-4o",
        agent: str = "",
        session: str = "",
        service: str = "agents",
        input_tokens: int = 0,
        output_tokens: int = 0,
        cached_tokens: int = 0,
        offered_tools: Sequence[str] = (),
        prompt_version: str = "",
    ) -> Span:
        """A ``chat`` CLIENT span with token usage."""
        attributes: dict[str, AttributeValue] = {
            attr.GEN_AI_OPERATION_NAME: "chat",
            attr.GEN_AI_PROVIDER_NAME: "openai",
            attr.GEN_AI_REQUEST_MODEL: model,
            attr.GEN_AI_USAGE_INPUT_TOKENS: input_tokens,
            attr.GEN_AI_USAGE_OUTPUT_TOKENS: output_tokens,
        }
        if cached_tokens:
            attributes[attr.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached_tokens
        _put(attributes, attr.GEN_AI_AGENT_NAME, agent)
        _put(attributes, attr.GEN_AI_CONVERSATION_ID, session)
        _put(attributes, attr.GAPWATCH_PROMPT_VERSION, prompt_version)
        if offered_tools:
            attributes[attr.GEN_AI_TOOL_DEFINITIONS] = tool_definitions(offered_tools)
        return self.span(
            f"chat {model}",
            start=start,
            duration=duration,
            attributes=attributes,
            kind=SpanKind.CLIENT,
            parent=parent,
            service=service,
        )

    # --- private ---------------------------------------------------------------------------

    def _tracer(self, service: str, resource: Mapping[str, str]) -> trace.Tracer:
        key = tuple(sorted({attr.SERVICE_NAME: service, **resource}.items()))
        provider = self._providers.get(key)
        if provider is None:
            provider = TracerProvider(
                resource=Resource.create(dict(key)),
                id_generator=SeededIdGenerator(self._seed * 7919 + len(self._providers)),
            )
            provider.add_span_processor(SimpleSpanProcessor(self.exporter))
            self._providers[key] = provider
        return provider.get_tracer(self._scope)


def tool_definitions(names: Sequence[str]) -> str:
    """``gen_ai.tool.definitions`` as the JSON string a span carries (function-style entries)."""
    return json.dumps(
        [{"type": "function", "name": name, "parameters": {"type": "object"}} for name in names]
    )


def _put(attributes: dict[str, AttributeValue], key: str, value: str) -> None:
    if value:
        attributes[key] = value


def _feedback_events(feedback: float | None, corrections: int) -> list[SpanEvent]:
    events = []
    if feedback is not None:
        events.append(SpanEvent(attr.EVENT_FEEDBACK, {attr.FEEDBACK_RATING: feedback}))
    for index in range(corrections):
        events.append(
            SpanEvent(attr.EVENT_USER_CORRECTION, {attr.CORRECTION_DESCRIPTION: f"fix {index}"})
        )
    return events


def _exception(message: str, error_type: str | None) -> BaseException:
    # record_exception takes the type name from the class, so build one with the wanted name
    name = (error_type or "RuntimeError").rsplit(".", 1)[-1]
    cls = type(name, (Exception,), {"__module__": "builtins"})
    return cls(message)


def open_analyzer_store(chdb_dir: str | os.PathLike[str], name: str) -> Client:
    """A fresh database ``name`` on the process's chDB engine with every gapwatch table.

    For module-scoped fixtures (the root ``database`` fixture is per test); drop it afterwards
    with ``drop_database(client)``.
    """
    from gapwatch.analyzer.schema import create_analyzer_schema
    from gapwatch.collector import SchemaOptions, connect

    admin = connect(f"chdb://{chdb_dir}")
    admin.command(f"DROP DATABASE IF EXISTS `{name}` SYNC")
    client = connect(f"chdb://{chdb_dir}?database={name}")
    create_analyzer_schema(client, SchemaOptions(database=name))
    return client


def drop_database(client: Client) -> None:
    client.command(f"DROP DATABASE IF EXISTS `{client.database}` SYNC")
