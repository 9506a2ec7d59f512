"""The OTLP trace request as ClickHouse's Protobuf input format reads it.

ClickHouse parses an ``ExportTraceServiceRequest`` itself when given a ``.proto`` and a column
structure that name the same fields. This module writes both, for the fields ``otel_traces``
stores. Field numbers are OTLP's (``opentelemetry/proto/trace/v1/trace.proto``); fields left out
are skipped by the parser, so every valid request parses.

The request is read as one row (``ProtobufSingle``). ``ProtobufList`` would read each
``ResourceSpans`` as a row, but it ignores ``input_format_protobuf_oneof_presence`` (chDB 26.9):
every ``AnyValue`` would arrive without its type.

``AnyValue`` nests through arrays and key-value lists without bound, but a column structure is a
fixed type, so nesting is unrolled ``depth`` levels deep. At the last level an array or kvlist
is kept as raw bytes: the SQL path sees that a value nests deeper than it renders and hands
the request to the Python path instead.

    proto = request_proto(depth=3)        # schema text, message "Request"
    structure = request_structure(depth=3)  # for file(…, 'ProtobufSingle', structure)
"""

from __future__ import annotations

REQUEST_MESSAGE = "Request"
DEFAULT_DEPTH = 1

# oneof member name -> OTLP field number; the presence column's Enum8 uses the same numbers
ANY_VALUE_FIELDS: tuple[tuple[str, int], ...] = (
    ("string_value", 1),
    ("bool_value", 2),
    ("int_value", 3),
    ("double_value", 4),
    ("array_value", 5),
    ("kvlist_value", 6),
    ("bytes_value", 7),
)
PRESENCE_COLUMN = "value"  # the oneof's name, as input_format_protobuf_oneof_presence wants

_FIXED_MESSAGES = """\
syntax = "proto3";
message Request { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue0 attributes = 1; }
message ScopeSpans { Scope scope = 1; repeated Span spans = 2; }
message Scope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8; repeated KeyValue0 attributes = 9;
  repeated Event events = 11; repeated Link links = 13; Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue0 attributes = 3; }
message Link {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3;
  repeated KeyValue0 attributes = 4;
}
message Status { string message = 2; int32 code = 3; }
"""


def request_proto(depth: int = DEFAULT_DEPTH) -> str:
    """Schema text whose message ``Request`` is wire-compatible with the OTLP request."""
    _check_depth(depth)
    parts = [_FIXED_MESSAGES]
    for level in range(depth + 1):
        inner = level + 1
        if level < depth:
            array, kvlist = f"ArrayValue{inner}", f"KeyValueList{inner}"
            parts.append(f"message ArrayValue{inner} {{ repeated AnyValue{inner} values = 1; }}")
            parts.append(f"message KeyValueList{inner} {{ repeated KeyValue{inner} values = 1; }}")
        else:
            array = kvlist = "bytes"  # deeper than rendered: kept raw, detected, not parsed
        parts.append(f"message KeyValue{level} {{ string key = 1; AnyValue{level} value = 2; }}")
        parts.append(
            f"message AnyValue{level} {{ oneof {PRESENCE_COLUMN} {{ string string_value = 1; "
            f"bool bool_value = 2; int64 int_value = 3; double double_value = 4; "
            f"{array} array_value = 5; {kvlist} kvlist_value = 6; bytes bytes_value = 7; }} }}"
        )
    return "\n".join(parts) + "\n"


def request_structure(depth: int = DEFAULT_DEPTH) -> str:
    """The ClickHouse column structure matching :func:`request_proto`'s ``Request``."""
    _check_depth(depth)
    attributes = key_values_type(0, depth)
    span = (
        "Tuple(trace_id String, span_id String, trace_state String, parent_span_id String, "
        "name String, kind Int32, start_time_unix_nano UInt64, end_time_unix_nano UInt64, "
        f"attributes {attributes}, "
        f"events Array(Tuple(time_unix_nano UInt64, name String, attributes {attributes})), "
        "links Array(Tuple(trace_id String, span_id String, trace_state String, "
        f"attributes {attributes})), "
        "status Tuple(message String, code Int32))"
    )
    return (
        f"resource_spans Array(Tuple(resource Tuple(attributes {attributes}), "
        "scope_spans Array(Tuple(scope Tuple(name String, version String), "
        f"spans Array({span})))))"
    )


def key_values_type(level: int, depth: int) -> str:
    return f"Array(Tuple(key String, value {_any_value_type(level, depth)}))"


def _any_value_type(level: int, depth: int) -> str:
    if level < depth:
        array = f"Tuple(values Array({_any_value_type(level + 1, depth)}))"
        kvlist = f"Tuple(values {key_values_type(level + 1, depth)})"
    else:
        array = kvlist = "String"
    presence = ", ".join(f"'{name}' = {number}" for name, number in ANY_VALUE_FIELDS)
    return (
        "Tuple(string_value String, bool_value Bool, int_value Int64, double_value Float64, "
        f"array_value {array}, kvlist_value {kvlist}, bytes_value String, "
        f"{PRESENCE_COLUMN} Enum8('' = 0, {presence}))"
    )


def _check_depth(depth: int) -> None:
    # the structure doubles with every level (arrays and kvlists both nest)
    if not 1 <= depth <= 6:
        raise ValueError(f"nesting depth must be 1..6, got {depth}")
