"""Decide which spans of an OTLP request are storable; the rest are rejected via partial success.

Rejected: malformed trace/span/parent ids, a span that ends before it starts, a start time
beyond the allowed future skew, or older than the retention (the TTL would drop it at once), and
any time (end, event) that ``DateTime64(9)`` cannot hold: it ends at 2^63 - 1 ns (year 2262),
and a later one would wrap to 1969 or fail the insert. Links carry no time in OTLP.
Spans from the past within the retention are accepted as they are, never moved in time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

NS_PER_SECOND = 1_000_000_000
# one past the latest instant ClickHouse's DateTime64(9) stores (signed 64-bit nanoseconds)
STORABLE_NS_LIMIT = 2**63
_ZERO_TRACE_ID = bytes(16)
_ZERO_SPAN_ID = bytes(8)


@dataclass(frozen=True)
class TimePolicy:
    """``max_future_skew_s``: how far ahead of the collector's clock a span may start.
    ``retention_days``: 0 accepts any past timestamp."""

    max_future_skew_s: float = 3600.0
    retention_days: int = 30


@dataclass(frozen=True)
class ValidationResult:
    request: ExportTraceServiceRequest  # only the accepted spans
    accepted: int
    rejected: int
    message: str  # English summary of why spans were rejected; "" when none were


def select_valid_spans(
    request: ExportTraceServiceRequest, policy: TimePolicy, now_ns: int | None = None
) -> ValidationResult:
    """Drop invalid spans from ``request`` in place and count them by reason."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    latest = now_ns + int(policy.max_future_skew_s * NS_PER_SECOND)
    earliest = (
        now_ns - policy.retention_days * 86_400 * NS_PER_SECOND if policy.retention_days else 0
    )
    reasons: dict[str, int] = {}
    accepted = 0
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            spans = scope_spans.spans
            reject_at = [
                index
                for index, span in enumerate(spans)
                if _count_reason(reasons, _problem(span, earliest, latest))
            ]
            for index in reversed(reject_at):
                del spans[index]
            accepted += len(spans)
    rejected = sum(reasons.values())
    message = "; ".join(f"{count} span(s) {why}" for why, count in sorted(reasons.items()))
    return ValidationResult(request, accepted, rejected, message)


def _problem(span: Span, earliest: int, latest: int) -> str:
    if len(span.trace_id) != 16 or span.trace_id == _ZERO_TRACE_ID:
        return "with an invalid trace id (need 16 non-zero bytes)"
    if len(span.span_id) != 8 or span.span_id == _ZERO_SPAN_ID:
        return "with an invalid span id (need 8 non-zero bytes)"
    if span.parent_span_id and len(span.parent_span_id) != 8:
        return "with an invalid parent span id (need 8 bytes or none)"
    if span.start_time_unix_nano == 0:
        return "without a start time"
    if span.end_time_unix_nano < span.start_time_unix_nano:
        return "ending before they start"
    if span.start_time_unix_nano > latest:
        return "dated beyond the allowed future clock skew"
    if span.end_time_unix_nano >= STORABLE_NS_LIMIT:
        return "ending after the year 2262 (beyond what DateTime64(9) stores)"
    if any(event.time_unix_nano >= STORABLE_NS_LIMIT for event in span.events):
        return "with an event time after the year 2262 (beyond what DateTime64(9) stores)"
    if span.start_time_unix_nano < earliest:
        return "older than the retention"
    return ""


def _count_reason(reasons: dict[str, int], reason: str) -> bool:
    if reason:
        reasons[reason] = reasons.get(reason, 0) + 1
    return bool(reason)
