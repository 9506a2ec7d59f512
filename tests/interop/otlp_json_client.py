"""A small OTLP/HTTP JSON span exporter for the interop tests.

No Python OTLP JSON exporter can be installed next to opentelemetry-exporter-otlp-proto-http
1.45 (the published ``opentelemetry-exporter-otlp-json-http`` 0.66b0/b1 pin older transport
packages than the protobuf exporter does), so this encoder turns the SDK's finished spans into
the OTLP JSON mapping itself, independently of the collector's decoder: lowerCamelCase keys,
hex trace/span ids, integer enums, 64-bit integers as decimal strings, bytes as base64.
"""

from __future__ import annotations

import base64
import gzip
import json
import urllib.request
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from opentelemetry.trace.status import StatusCode

# OTLP: INTERNAL 1, SERVER 2, CLIENT 3, PRODUCER 4, CONSUMER 5
_KIND = {
    SpanKind.INTERNAL: 1,
    SpanKind.SERVER: 2,
    SpanKind.CLIENT: 3,
    SpanKind.PRODUCER: 4,
    SpanKind.CONSUMER: 5,
}
_STATUS = {StatusCode.UNSET: 0, StatusCode.OK: 1, StatusCode.ERROR: 2}


def any_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": key_values(value)}}
    return {"arrayValue": {"values": [any_value(item) for item in value]}}


def key_values(attributes: Any) -> list[dict[str, Any]]:
    return [{"key": key, "value": any_value(value)} for key, value in (attributes or {}).items()]


def _span(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    assert context is not None
    out: dict[str, Any] = {
        "traceId": f"{context.trace_id:032x}",
        "spanId": f"{context.span_id:016x}",
        "traceState": context.trace_state.to_header(),
        "name": span.name,
        "kind": _KIND[span.kind],
        "startTimeUnixNano": str(span.start_time),
        "endTimeUnixNano": str(span.end_time),
        "attributes": key_values(span.attributes),
        "events": [
            {
                "timeUnixNano": str(event.timestamp),
                "name": event.name,
                "attributes": key_values(event.attributes),
            }
            for event in span.events
        ],
        "links": [
            {
                "traceId": f"{link.context.trace_id:032x}",
                "spanId": f"{link.context.span_id:016x}",
                "traceState": link.context.trace_state.to_header(),
                "attributes": key_values(link.attributes),
            }
            for link in span.links
        ],
        "status": {"code": _STATUS[span.status.status_code]},
        "flags": int(context.trace_flags),
        # a field from a future OTLP version: receivers must ignore unknown fields
        "futureField": {"ignored": True},
    }
    if span.parent is not None:
        out["parentSpanId"] = f"{span.parent.span_id:016x}"
    if span.status.description:
        out["status"]["message"] = span.status.description
    return out


def encode_request(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """Group by resource, then by instrumentation scope, preserving order."""
    by_resource: dict[int, tuple[Any, dict[tuple[str, str], list[ReadableSpan]]]] = {}
    for span in spans:
        resource = span.resource
        holder = by_resource.setdefault(id(resource), (resource, {}))
        scope = span.instrumentation_scope
        key = (scope.name if scope else "", (scope.version or "") if scope else "")
        holder[1].setdefault(key, []).append(span)
    resource_spans = []
    for resource, scopes in by_resource.values():
        resource_spans.append(
            {
                "resource": {"attributes": key_values(resource.attributes)},
                "scopeSpans": [
                    {
                        "scope": {"name": name, "version": version},
                        "spans": [_span(span) for span in members],
                    }
                    for (name, version), members in scopes.items()
                ],
            }
        )
    return {"resourceSpans": resource_spans}


def post_json(
    endpoint: str, document: dict[str, Any], gzip_body: bool = False, timeout_s: float = 10.0
) -> tuple[int, dict[str, Any]]:
    """POST an OTLP JSON request; returns the HTTP status and the decoded response body."""
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if gzip_body:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    # no proxy: the collector is on loopback
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=timeout_s) as response:
        assert response.headers.get("Content-Type", "").startswith("application/json")
        return response.status, json.loads(response.read() or b"{}")
