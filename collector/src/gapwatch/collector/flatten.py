"""Turn an OTLP ``ExportTraceServiceRequest`` into ``otel_traces`` columns, as the exporter maps it.

    columns = flatten_request(request, AttributeLimits())
    writer.write(columns, token="…")

The columns are the exporter's 22 INSERT columns, in its order; see
``shared/reference/clickhouse-otel-schema.md`` §3 for the mapping rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from gapwatch.collector.values import any_value_to_string

INSERT_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
)
# pdata enum names, as the current exporter writes them
SPAN_KIND_NAMES = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
STATUS_CODE_NAMES = ("Unset", "Ok", "Error")
TRUNCATION_MARK = "…"

# A redaction hook gets (attribute key, rendered value) and returns the value to store.
Redact = Callable[[str, str], str]


@dataclass(frozen=True)
class AttributeLimits:
    """Caps applied before storage, to every string the collector stores; the counters of
    :class:`FlattenStats` say what was cut (a cut string ends with ``…``).

    ``max_value_length`` bounds each free-text field: attribute values, span and event names,
    trace state (span and link), scope name and version, status message. ``max_key_length``
    bounds attribute keys (resource, span, event, link), which are names, not payloads.
    """

    max_value_length: int = 16_384
    max_attributes: int = 128
    max_depth: int = 32
    max_key_length: int = 1_024


@dataclass
class FlattenStats:
    spans: int = 0
    truncated_values: int = 0
    dropped_attributes: int = 0


SpanColumns = dict[str, list[Any]]


def flatten_request(
    request: ExportTraceServiceRequest,
    limits: AttributeLimits | None = None,
    redact: Redact | None = None,
    stats: FlattenStats | None = None,
) -> SpanColumns:
    """One row per span; every value already capped and redacted."""
    limits = limits or AttributeLimits()
    stats = stats if stats is not None else FlattenStats()
    columns: SpanColumns = {name: [] for name in INSERT_COLUMNS}
    attributes = _AttributeRenderer(limits, redact, stats)
    c = columns
    for resource_spans in request.resource_spans:
        resource_attributes = attributes.render(resource_spans.resource.attributes)
        service_name = resource_attributes.get("service.name", "")
        for scope_spans in resource_spans.scope_spans:
            scope_name = attributes.cap(scope_spans.scope.name)
            scope_version = attributes.cap(scope_spans.scope.version)
            for span in scope_spans.spans:
                start = span.start_time_unix_nano
                c["Timestamp"].append(start)
                c["TraceId"].append(span.trace_id.hex())
                c["SpanId"].append(span.span_id.hex())
                c["ParentSpanId"].append(_hex_id(span.parent_span_id))
                c["TraceState"].append(attributes.cap(span.trace_state))
                c["SpanName"].append(attributes.cap(span.name))
                c["SpanKind"].append(_enum_name(SPAN_KIND_NAMES, span.kind))
                c["ServiceName"].append(service_name)
                c["ResourceAttributes"].append(resource_attributes)
                c["ScopeName"].append(scope_name)
                c["ScopeVersion"].append(scope_version)
                c["SpanAttributes"].append(attributes.render(span.attributes))
                c["Duration"].append(span.end_time_unix_nano - start)
                c["StatusCode"].append(_enum_name(STATUS_CODE_NAMES, span.status.code))
                c["StatusMessage"].append(attributes.redact_text(span.status.message))
                events = span.events
                c["Events.Timestamp"].append([event.time_unix_nano for event in events])
                c["Events.Name"].append([attributes.cap(event.name) for event in events])
                c["Events.Attributes"].append([attributes.render(e.attributes) for e in events])
                links = span.links
                c["Links.TraceId"].append([link.trace_id.hex() for link in links])
                c["Links.SpanId"].append([_hex_id(link.span_id) for link in links])
                c["Links.TraceState"].append([attributes.cap(link.trace_state) for link in links])
                c["Links.Attributes"].append([attributes.render(k.attributes) for k in links])
                stats.spans += 1
    return columns


def row_count(columns: SpanColumns) -> int:
    return len(columns["Timestamp"])


class _AttributeRenderer:
    def __init__(self, limits: AttributeLimits, redact: Redact | None, stats: FlattenStats):
        self._limits = limits
        self._redact = redact
        self._stats = stats

    def render(self, key_values: Iterable[KeyValue]) -> dict[str, str]:
        rendered: dict[str, str] = {}
        limit = self._limits.max_attributes
        max_length = self._limits.max_value_length
        redact = self._redact
        for key_value in key_values:
            if len(rendered) >= limit:
                self._stats.dropped_attributes += 1
                continue
            any_value = key_value.value
            # most attributes are plain strings: skip the generic renderer for them
            if any_value.WhichOneof("value") == "string_value":
                value = any_value.string_value
            else:
                value = any_value_to_string(any_value, self._limits.max_depth)
            key = key_value.key
            if redact is not None:
                value = redact(key, value)
            if len(key) > self._limits.max_key_length:
                key = self.cap(key, self._limits.max_key_length)
            rendered[key] = value if len(value) <= max_length else self.cap(value)
        return rendered

    def redact_text(self, text: str) -> str:
        if self._redact is not None and text:
            text = self._redact("", text)
        return self.cap(text)

    def cap(self, text: str, limit: int | None = None) -> str:
        limit = self._limits.max_value_length if limit is None else limit
        if len(text) <= limit:
            return text
        self._stats.truncated_values += 1
        return text[: limit - 1] + TRUNCATION_MARK


def _hex_id(raw: bytes) -> str:
    # the exporter stores an absent or all-zero id as ''
    return raw.hex() if raw and any(raw) else ""


def _enum_name(names: tuple[str, ...], value: int) -> str:
    return names[value] if 0 <= value < len(names) else names[0]
