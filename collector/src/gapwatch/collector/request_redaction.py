"""Redact every string of an OTLP trace request in place, before it is logged or stored.

The collector runs this on each accepted request before the write-ahead-log append, so no
secret reaches the disk, the table, or anything computed from the table (the analyzer's model,
rollups, proposals, the API). Covered: span names, trace state, status messages; event names;
link trace state; scope name and version; schema URLs; attribute keys (by pattern) and values
of resource, scope, span, event and link attributes, including values nested in arrays and
key-value lists, where a nested key that names a secret hides its whole value.

    changed = redact_request(request, Redactor.default())  # number of fields rewritten
"""

from __future__ import annotations

from collections.abc import MutableSequence

from google.protobuf.message import Message
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from gapwatch.collector.redaction import REDACTED, Redactor


def redact_request(
    request: ExportTraceServiceRequest, redactor: Redactor, serialized: bytes | None = None
) -> int:
    """Rewrite secrets in ``request``; returns how many fields changed (0: left as it was).

    ``serialized``: the protobuf body ``request`` was parsed from (or a superset of it), so a
    request with nothing to redact is recognised by one scan of its bytes, without a walk.
    """
    if not redactor.may_hold_secrets(
        serialized if serialized is not None else request.SerializeToString()
    ):
        return 0
    changed = 0
    text = _TextFields(redactor)
    # the same scan, span by span: one secret in a large request costs one span's walk
    may_hold = redactor.may_hold_secrets
    for resource_spans in request.resource_spans:
        changed += text.fields(resource_spans, "schema_url")
        if may_hold(resource_spans.resource.SerializeToString()):
            changed += redact_attributes(resource_spans.resource.attributes, redactor)
        for scope_spans in resource_spans.scope_spans:
            changed += text.fields(scope_spans, "schema_url")
            if may_hold(scope_spans.scope.SerializeToString()):
                changed += text.fields(scope_spans.scope, "name", "version")
                changed += redact_attributes(scope_spans.scope.attributes, redactor)
            for span in scope_spans.spans:
                if may_hold(span.SerializeToString()):
                    changed += _redact_span(span, redactor, text)
    return changed


def _redact_span(span: Span, redactor: Redactor, text: _TextFields) -> int:
    changed = text.fields(span, "name", "trace_state")
    changed += text.fields(span.status, "message")
    changed += redact_attributes(span.attributes, redactor)
    for event in span.events:
        changed += text.fields(event, "name")
        changed += redact_attributes(event.attributes, redactor)
    for link in span.links:
        changed += text.fields(link, "trace_state")
        changed += redact_attributes(link.attributes, redactor)
    return changed


def redact_attributes(attributes: MutableSequence[KeyValue], redactor: Redactor) -> int:
    """Redact a key-value list and everything nested in it; returns the fields changed.

    Nesting is walked with an explicit stack: a hostile, deeply nested value cannot exhaust
    Python's recursion limit.
    """
    changed = 0
    lists: list[MutableSequence[KeyValue]] = [attributes]
    values: list[AnyValue] = []  # array elements: no key of their own
    while lists or values:
        if values:
            changed += _redact_value(values.pop(), redactor, lists, values)
            continue
        for key_value in lists.pop():
            key = key_value.key
            safe_key = redactor.text(key)
            if safe_key is not key:
                key_value.key = safe_key
                changed += 1
            value = key_value.value
            if redactor.is_secret_key(key):
                if _holds_something(value):
                    value.Clear()
                    value.string_value = REDACTED
                    changed += 1
                continue
            changed += _redact_value(value, redactor, lists, values)
    return changed


def _redact_value(
    value: AnyValue,
    redactor: Redactor,
    lists: list[MutableSequence[KeyValue]],
    values: list[AnyValue],
) -> int:
    """Redact a string value; queue the contents of an array or key-value list."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        original = value.string_value
        redacted = redactor.text(original)
        if redacted is not original:
            value.string_value = redacted
            return 1
    elif kind == "array_value":
        values.extend(value.array_value.values)
    elif kind == "kvlist_value":
        lists.append(value.kvlist_value.values)
    return 0


def _holds_something(value: AnyValue) -> bool:
    kind = value.WhichOneof("value")
    if kind is None:
        return False
    return not (kind == "string_value" and not value.string_value)


class _TextFields:
    def __init__(self, redactor: Redactor):
        self._text = redactor.text

    def fields(self, message: Message, *names: str) -> int:
        changed = 0
        for name in names:
            original = getattr(message, name)
            if not original:
                continue
            redacted = self._text(original)
            if redacted is not original:
                setattr(message, name, redacted)
                changed += 1
        return changed
