"""The synchronous core of ingestion: validate, redact, flatten and write one OTLP request.

The receivers and the write-ahead-log replay both end here; tests use it to load spans
into chDB exactly as the collector stores them.

    result = ingest_request(writer, request, IngestOptions(), token="batch-1")
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.collector.flatten import AttributeLimits, FlattenStats, Redact, flatten_request
from gapwatch.collector.pipeline import body_digest
from gapwatch.collector.redaction import Redactor
from gapwatch.collector.request_redaction import redact_request
from gapwatch.collector.validation import TimePolicy, ValidationResult, select_valid_spans
from gapwatch.collector.writer import SpanWriter


@dataclass(frozen=True)
class IngestOptions:
    time_policy: TimePolicy = field(default_factory=TimePolicy)
    limits: AttributeLimits = field(default_factory=AttributeLimits)
    redact: Redact | None = None


def ingest_request(
    writer: SpanWriter,
    request: ExportTraceServiceRequest,
    options: IngestOptions | None = None,
    token: str | None = None,
    stats: FlattenStats | None = None,
) -> ValidationResult:
    """Store the valid spans of ``request``; returns what was accepted and rejected.

    Without a ``token`` the request's own content digest is used, so writing the same request
    twice stores it once.
    """
    options = options or IngestOptions()
    result = select_valid_spans(request, options.time_policy)
    if result.accepted:
        redact = options.redact
        if isinstance(redact, Redactor):
            # every string field, as the receivers redact before the WAL
            redact_request(result.request, redact)
            redact = None
        columns = flatten_request(result.request, options.limits, redact, stats)
        writer.write(columns, token or request_digest(result.request))
    return result


def request_digest(request: ExportTraceServiceRequest) -> str:
    # deterministic=True keeps map ordering stable, so equal requests give equal digests
    return body_digest(request.SerializeToString(deterministic=True)).hex()
