"""configure(): resource, exporter selection from env, burst-sized queue with a drop counter,
and leaving an application's own tracer provider alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gapwatch.instrumentation import (
    BurstBatchSpanProcessor,
    ConfigurationError,
    _setup,
    _state,
    agent,
    configure,
    tool,
)


@pytest.fixture(autouse=True)
def isolated_state() -> Iterator[None]:
    provider, settings = _state.tracer_provider(), _state._settings
    yield
    _setup.reset_configuration()
    _state.set_tracer_provider(provider)
    _state.set_settings(settings)


def test_configure_when_exporter_given(tmp_path: object) -> None:
    exporter = InMemorySpanExporter()
    tracing = configure(
        service_name="orchestrator",
        service_version="1.2.0",
        agent_version="7",
        prompt_version="p3",
        exporter=exporter,
        set_global=False,
        env={},
    )
    try:
        assert tracing.owned
        with agent("orchestrator", conversation_id="c-1"), tool("search"):
            pass
        assert tracing.force_flush()
        spans = exporter.get_finished_spans()
        assert [span.name for span in spans] == ["execute_tool search", "invoke_agent orchestrator"]
        resource = dict(spans[0].resource.attributes)
        assert resource["service.name"] == "orchestrator"
        assert resource["service.version"] == "1.2.0"
        assert resource["gapwatch.agent.version"] == "7"
        assert resource["gapwatch.prompt.version"] == "p3"
        assert (spans[1].attributes or {})["gapwatch.agent.version"] == "7"
        assert isinstance(tracing.processor, BurstBatchSpanProcessor)
        assert tracing.processor.max_queue_size == 32_768
        assert tracing.dropped_spans == 0
    finally:
        tracing.shutdown()


@pytest.mark.parametrize(
    ("env", "endpoint"),
    [
        ({}, "http://127.0.0.1:4318/v1/traces"),
        ({"GAPWATCH_ENDPOINT": "http://collector:4318/"}, "http://collector:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318"}, "http://otel:4318"),
    ],
)
def test_configure_when_endpoint_from_env(env: dict[str, str], endpoint: str) -> None:
    tracing = configure(set_global=False, env=env)
    try:
        assert tracing.protocol == "http/protobuf"
        assert tracing.endpoint == endpoint
        assert isinstance(tracing.processor, BurstBatchSpanProcessor)
        assert isinstance(tracing.processor.span_exporter, OTLPSpanExporter)
    finally:
        tracing.shutdown()


def test_configure_when_grpc_requested() -> None:
    tracing = configure(set_global=False, env={"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"})
    try:
        assert tracing.protocol == "grpc"
        assert tracing.endpoint == "http://127.0.0.1:4317"
    finally:
        tracing.shutdown()


@pytest.mark.parametrize(
    "env",
    [
        {"GAPWATCH_PROTOCOL": "http/json"},
        {"GAPWATCH_MAX_QUEUE_SIZE": "lots"},
        {"GAPWATCH_MAX_QUEUE_SIZE": "0"},
        {"GAPWATCH_CAPTURE_CONTENT": "maybe"},
        {"GAPWATCH_REDACTOR": "no.such.module:redact"},
    ],
)
def test_configure_when_setting_invalid_raises(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        configure(set_global=False, env=env)


def test_configure_when_env_sets_queue_and_content() -> None:
    env = {
        "GAPWATCH_MAX_QUEUE_SIZE": "100",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "10",
        "GAPWATCH_CAPTURE_CONTENT": "true",
        "GAPWATCH_MAX_VALUE_SIZE": "20",
    }
    tracing = configure(set_global=False, exporter=InMemorySpanExporter(), env=env)
    try:
        assert tracing.processor is not None and tracing.processor.max_queue_size == 100
        settings = _state.settings()
        assert settings.capture_content and settings.max_value_size == 20
    finally:
        tracing.shutdown()


class GatedExporter(SpanExporter):
    """Holds every export until released, like a collector that stalls during a burst."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(timeout=30)
        self.exported += len(spans)
        return SpanExportResult.SUCCESS


def test_burst_processor_when_queue_overflows_counts_drops() -> None:
    exporter = GatedExporter()
    processor = BurstBatchSpanProcessor(exporter, max_queue_size=64, max_export_batch_size=16)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("burst")
    for index in range(1_000):
        tracer.start_span(f"span {index}").end()
    exporter.release.set()
    assert provider.force_flush(30_000)
    provider.shutdown()
    assert processor.dropped_spans > 0
    assert processor.dropped_spans + exporter.exported == 1_000


def test_configure_when_app_owns_provider_adds_nothing(tmp_path: object) -> None:
    script = textwrap.dedent(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from gapwatch.instrumentation import configure, tool

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        processors_before = list(provider._active_span_processor._span_processors)

        tracing = configure(service_name="ignored")
        with tool("search"):
            pass
        assert not tracing.owned and tracing.tracer_provider is provider
        assert list(provider._active_span_processor._span_processors) == processors_before
        assert [s.name for s in exporter.get_finished_spans()] == ["execute_tool search"]
        print("OK")
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert completed.stdout.strip() == "OK", completed.stderr
