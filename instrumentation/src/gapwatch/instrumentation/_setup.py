"""``configure()``: OpenTelemetry tracing for an agent process in one call.

    from gapwatch.instrumentation import configure
    tracing = configure(service_name="orchestrator", agent_version="2.3.0")

Every argument can also come from the environment; an argument wins over ``GAPWATCH_*``, which
wins over the matching ``OTEL_*`` variable:

* ``service_name``: ``GAPWATCH_SERVICE_NAME``, ``OTEL_SERVICE_NAME`` (``unknown_service``)
* ``service_version``, ``agent_version``, ``prompt_version``: ``GAPWATCH_SERVICE_VERSION``,
  ``GAPWATCH_AGENT_VERSION``, ``GAPWATCH_PROMPT_VERSION``
* ``endpoint``: ``GAPWATCH_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``,
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``http://127.0.0.1:4318``; gRPC ``:4317``)
* ``protocol``: ``GAPWATCH_PROTOCOL``, ``OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL``
  (``http/protobuf``; ``grpc`` with the ``grpc`` extra)
* ``max_queue_size``, ``max_export_batch_size``, ``schedule_delay_millis``:
  ``GAPWATCH_MAX_QUEUE_SIZE`` / ``_MAX_EXPORT_BATCH_SIZE`` / ``_SCHEDULE_DELAY_MS``, then the
  ``OTEL_BSP_*`` equivalents (32768 / 1024 / 1000)
* ``capture_content``: ``GAPWATCH_CAPTURE_CONTENT`` (off); ``max_value_size``:
  ``GAPWATCH_MAX_VALUE_SIZE`` (4096); ``redactor``, ``result_classifier``: ``GAPWATCH_REDACTOR``,
  ``GAPWATCH_RESULT_CLASSIFIER`` (``module:qualname``)

If the application already installed an SDK tracer provider, ``configure()`` adds nothing to
it: gapwatch spans go through that provider and its exporters.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import ProxyTracerProvider

from gapwatch.instrumentation import _state
from gapwatch.instrumentation._content import Redactor
from gapwatch.instrumentation._context import ConversationIdProcessor
from gapwatch.instrumentation._outcome import ResultClassifier
from gapwatch.instrumentation._processor import (
    DEFAULT_MAX_EXPORT_BATCH_SIZE,
    DEFAULT_MAX_QUEUE_SIZE,
    DEFAULT_SCHEDULE_DELAY_MS,
    BurstBatchSpanProcessor,
)
from gapwatch.instrumentation._settings import (
    ConfigurationError,
    parse_int,
    settings_from_env,
)
from gapwatch.semconv import attributes as A

DEFAULT_HTTP_ENDPOINT = "http://127.0.0.1:4318"
DEFAULT_GRPC_ENDPOINT = "http://127.0.0.1:4317"
PROTOCOL_HTTP = "http/protobuf"
PROTOCOL_GRPC = "grpc"

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_configured: Tracing | None = None


@dataclass
class Tracing:
    """What ``configure()`` set up. ``owned`` is False when the app's own provider is used."""

    tracer_provider: trace.TracerProvider
    owned: bool
    processor: BurstBatchSpanProcessor | None = None
    endpoint: str | None = None
    protocol: str | None = None

    @property
    def dropped_spans(self) -> int:
        """Spans the batch processor dropped because its queue was full."""
        return self.processor.dropped_spans if self.processor else 0

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export everything queued so far."""
        flush = getattr(self.tracer_provider, "force_flush", None)
        return bool(flush(timeout_millis)) if flush is not None else True

    def shutdown(self) -> None:
        """Flush and stop the provider gapwatch created (no-op for the app's own)."""
        global _configured
        if not self.owned:
            return
        if self.dropped_spans:
            logger.warning(
                "gapwatch: %d spans were dropped because the export queue (%d) was full; "
                "raise GAPWATCH_MAX_QUEUE_SIZE",
                self.dropped_spans,
                self.processor.max_queue_size if self.processor else 0,
            )
        provider = self.tracer_provider
        if isinstance(provider, TracerProvider):
            provider.shutdown()
        with _lock:
            if _configured is self:
                _configured = None


def configure(
    service_name: str | None = None,
    endpoint: str | None = None,
    *,
    protocol: str | None = None,
    service_version: str | None = None,
    agent_version: str | None = None,
    prompt_version: str | None = None,
    headers: Mapping[str, str] | None = None,
    resource_attributes: Mapping[str, str] | None = None,
    max_queue_size: int | None = None,
    max_export_batch_size: int | None = None,
    schedule_delay_millis: float | None = None,
    capture_content: bool | None = None,
    redactor: Redactor | None = None,
    max_value_size: int | None = None,
    result_classifier: ResultClassifier | None = None,
    exporter: SpanExporter | None = None,
    set_global: bool = True,
    env: Mapping[str, str] | None = None,
) -> Tracing:
    """Set up tracing for gapwatch in one call; returns a :class:`Tracing` handle.

    Args:
        exporter: export through this exporter instead of OTLP (tests, custom transports).
        set_global: also install the provider as the global OpenTelemetry provider, so other
            instrumentations' spans (LLM clients, HTTP) join the same traces.
        env: read settings from this mapping instead of ``os.environ``.

    Raises:
        ConfigurationError: an argument or variable is invalid (raised here, at start-up,
            never later while tracing).
    """
    global _configured
    env = os.environ if env is None else env
    _state.set_settings(
        settings_from_env(
            env,
            capture_content=capture_content,
            redactor=redactor,
            max_value_size=max_value_size,
            result_classifier=result_classifier,
            agent_version=agent_version,
            prompt_version=prompt_version,
        )
    )
    with _lock:
        if _configured is not None:
            logger.info("gapwatch: configure() called again; keeping the existing provider")
            return _configured
        existing = trace.get_tracer_provider()
        if set_global and not isinstance(existing, ProxyTracerProvider):
            # The application (or another distro) owns tracing: add nothing to its provider.
            logger.info("gapwatch: using the application's tracer provider as configured")
            _state.set_tracer_provider(None)
            _configured = Tracing(tracer_provider=existing, owned=False)
            return _configured

        resource = _resource(
            env, service_name, service_version, agent_version, prompt_version, resource_attributes
        )
        provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        provider.add_span_processor(ConversationIdProcessor())
        resolved_protocol, resolved_endpoint = None, None
        if exporter is None:
            resolved_protocol = _protocol(env, protocol)
            resolved_endpoint, exporter = _otlp_exporter(env, resolved_protocol, endpoint, headers)
        processor = BurstBatchSpanProcessor(
            exporter,
            max_queue_size=_int_setting(
                env,
                max_queue_size,
                "GAPWATCH_MAX_QUEUE_SIZE",
                "OTEL_BSP_MAX_QUEUE_SIZE",
                DEFAULT_MAX_QUEUE_SIZE,
            ),
            max_export_batch_size=_int_setting(
                env,
                max_export_batch_size,
                "GAPWATCH_MAX_EXPORT_BATCH_SIZE",
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                DEFAULT_MAX_EXPORT_BATCH_SIZE,
            ),
            schedule_delay_millis=float(
                _int_setting(
                    env,
                    None if schedule_delay_millis is None else int(schedule_delay_millis),
                    "GAPWATCH_SCHEDULE_DELAY_MS",
                    "OTEL_BSP_SCHEDULE_DELAY",
                    int(DEFAULT_SCHEDULE_DELAY_MS),
                )
            ),
        )
        provider.add_span_processor(processor)
        if set_global:
            trace.set_tracer_provider(provider)
        _state.set_tracer_provider(provider)
        handle = Tracing(
            tracer_provider=provider,
            owned=True,
            processor=processor,
            endpoint=resolved_endpoint,
            protocol=resolved_protocol,
        )
        # Flush on exit: queued spans would otherwise die with the process.
        atexit.register(handle.shutdown)
        _configured = handle
        return handle


def _resource(
    env: Mapping[str, str],
    service_name: str | None,
    service_version: str | None,
    agent_version: str | None,
    prompt_version: str | None,
    extra: Mapping[str, str] | None,
) -> Resource:
    attributes: dict[str, Any] = dict(extra or {})
    values = {
        A.SERVICE_NAME: service_name or env.get("GAPWATCH_SERVICE_NAME"),
        A.SERVICE_VERSION: service_version or env.get("GAPWATCH_SERVICE_VERSION"),
        A.GAPWATCH_AGENT_VERSION: agent_version or env.get("GAPWATCH_AGENT_VERSION"),
        A.GAPWATCH_PROMPT_VERSION: prompt_version or env.get("GAPWATCH_PROMPT_VERSION"),
    }
    attributes.update({key: value for key, value in values.items() if value})
    # Resource.create also merges OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME; explicit
    # attributes win over both.
    return Resource.create(attributes)


def _protocol(env: Mapping[str, str], protocol: str | None) -> str:
    value = (
        (
            protocol
            or env.get("GAPWATCH_PROTOCOL")
            or env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or PROTOCOL_HTTP
        )
        .strip()
        .lower()
    )
    if value in {"http", "http/protobuf"}:
        return PROTOCOL_HTTP
    if value == PROTOCOL_GRPC:
        return PROTOCOL_GRPC
    raise ConfigurationError(f"unsupported OTLP protocol {value!r} (use http/protobuf or grpc)")


def _otlp_exporter(
    env: Mapping[str, str],
    protocol: str,
    endpoint: str | None,
    headers: Mapping[str, str] | None,
) -> tuple[str | None, SpanExporter]:
    explicit = endpoint or env.get("GAPWATCH_ENDPOINT")
    from_otel = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if protocol == PROTOCOL_GRPC:
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter as GrpcExporter,
            )
        except ImportError as exc:
            raise ConfigurationError(
                "protocol grpc needs the extra: pip install 'gapwatch-instrumentation[grpc]'"
            ) from exc
        url = explicit or (None if from_otel else DEFAULT_GRPC_ENDPOINT)
        insecure = None if url is None else url.startswith("http://")
        return url or from_otel, GrpcExporter(
            endpoint=url, insecure=insecure, headers=dict(headers) if headers else None
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    url = (
        _traces_url(explicit)
        if explicit
        else (None if from_otel else _traces_url(DEFAULT_HTTP_ENDPOINT))
    )
    # url None: the exporter resolves OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT itself, exactly as
    # the SDK documents (appending /v1/traces to the generic endpoint only).
    exporter = OTLPSpanExporter(endpoint=url, headers=dict(headers) if headers else None)
    return url or from_otel, exporter


def _traces_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


def _int_setting(
    env: Mapping[str, str], value: int | None, gapwatch_name: str, otel_name: str, default: int
) -> int:
    if value is not None:
        result = value
    elif env.get(gapwatch_name):
        result = parse_int(env, gapwatch_name, default)
    else:
        result = parse_int(env, otel_name, default)
    if result <= 0:
        raise ConfigurationError(f"{gapwatch_name} must be positive")
    return result


def reset_configuration() -> None:
    """Forget the configured provider (for tests; does not shut it down)."""
    global _configured
    with _lock:
        _configured = None
