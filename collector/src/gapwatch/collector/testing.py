"""Build OTLP trace requests by hand, for tests and tools that need exact, even invalid, input;
and what tests and benchmarks that run a collector process share (a free port, its peak memory).

    request = make_request([make_span("tool call", attributes={"gen_ai.tool.name": "grep"})])
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span


def any_value(value: Any) -> AnyValue:
    """Python value → AnyValue (bool, int, float, str, bytes, list, dict)."""
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, (list, tuple)):
        result = AnyValue()
        result.array_value.values.extend(any_value(item) for item in value)
        return result
    if isinstance(value, Mapping):
        result = AnyValue()
        result.kvlist_value.values.extend(key_values(value))
        return result
    return AnyValue(string_value=str(value))


def key_values(attributes: Mapping[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=any_value(value)) for key, value in attributes.items()]


def make_span(
    name: str = "span",
    *,
    trace_id: bytes | None = None,
    span_id: bytes | None = None,
    parent_span_id: bytes = b"",
    start_ns: int | None = None,
    duration_ns: int = 1_000_000,
    attributes: Mapping[str, Any] | None = None,
    kind: int = Span.SPAN_KIND_INTERNAL,
    status_code: int = 0,
    status_message: str = "",
) -> Span:
    start = time.time_ns() if start_ns is None else start_ns
    span = Span(
        trace_id=os.urandom(16) if trace_id is None else trace_id,
        span_id=os.urandom(8) if span_id is None else span_id,
        parent_span_id=parent_span_id,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration_ns,
    )
    span.attributes.extend(key_values(attributes or {}))
    span.status.code = status_code  # type: ignore[assignment]
    span.status.message = status_message
    return span


def make_request(
    spans: Sequence[Span],
    service_name: str = "test-service",
    resource: Mapping[str, Any] | None = None,
    scope: tuple[str, str] = ("gapwatch.tests", "1.0"),
) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(
        key_values({"service.name": service_name, **(resource or {})})
    )
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name, scope_spans.scope.version = scope
    scope_spans.spans.extend(spans)
    return request


def free_port() -> int:
    """A TCP port on loopback no one listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_resident_mib(pid: int) -> float:
    """The peak resident memory (``VmHWM``) of a live process, in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def collector_command(data_dir: Path, http_port: int, *flags: str) -> list[str]:
    """The command line of a ``gapwatch-collector`` process on ``data_dir``, OTLP/HTTP only."""
    return [sys.executable, "-m", "gapwatch.collector.cli", "--data-dir", str(data_dir),
            "--otlp-http-port", str(http_port), "--otlp-grpc-port", "-1", *flags]
