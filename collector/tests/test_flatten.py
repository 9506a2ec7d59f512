from __future__ import annotations

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from gapwatch.collector.flatten import INSERT_COLUMNS, AttributeLimits, flatten_request
from gapwatch.collector.testing import any_value, make_request, make_span
from gapwatch.collector.values import any_value_to_string, format_double


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (True, "true"),
        (False, "false"),
        (-42, "-42"),
        (1.5, "1.5"),
        (3.0, "3"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (b"\x00\xff", "AP8="),
        ([1, "a", True, 2.5], '[1,"a",true,2.5]'),
        ({"k": [1, {"n": False}], "s": "é"}, '{"k":[1,{"n":false}],"s":"é"}'),
    ],
)
def test_values_are_stringified_like_pdata(value: object, expected: str) -> None:
    assert any_value_to_string(any_value(value)) == expected


def test_non_finite_doubles_render_like_the_go_json_encoder_complaint() -> None:
    assert format_double(float("nan")) == "json: unsupported value: NaN"
    assert format_double(float("-inf")) == "json: unsupported value: -Inf"


def test_one_row_per_span_with_every_column_mapped() -> None:
    span = make_span(
        "execute_tool grep",
        span_id=bytes.fromhex("0102030405060708"),
        trace_id=bytes.fromhex("0f" * 16),
        parent_span_id=bytes.fromhex("1112131415161718"),
        start_ns=1_700_000_000_123_456_789,
        duration_ns=987,
        attributes={"gen_ai.tool.name": "grep", "gapwatch.attempt": 2},
        kind=Span.SPAN_KIND_CLIENT,
        status_code=Status.STATUS_CODE_ERROR,
        status_message="exit 2",
    )
    span.trace_state = "vendor=1"
    event = span.events.add(name="exception", time_unix_nano=1_700_000_000_123_457_000)
    event.attributes.add(key="exception.type").value.string_value = "TimeoutError"
    link = span.links.add(trace_id=bytes.fromhex("aa" * 16), span_id=bytes.fromhex("bb" * 8))
    link.trace_state = "l=1"
    link.attributes.add(key="why").value.string_value = "follows"
    columns = flatten_request(
        make_request([span], service_name="agent-svc", resource={"env": "prod"}, scope=("s", "9"))
    )
    assert list(columns) == list(INSERT_COLUMNS)
    row = {name: values[0] for name, values in columns.items()}
    assert row == {
        "Timestamp": 1_700_000_000_123_456_789,
        "TraceId": "0f" * 16,
        "SpanId": "0102030405060708",
        "ParentSpanId": "1112131415161718",
        "TraceState": "vendor=1",
        "SpanName": "execute_tool grep",
        "SpanKind": "Client",
        "ServiceName": "agent-svc",
        "ResourceAttributes": {"service.name": "agent-svc", "env": "prod"},
        "ScopeName": "s",
        "ScopeVersion": "9",
        "SpanAttributes": {"gen_ai.tool.name": "grep", "gapwatch.attempt": "2"},
        "Duration": 987,
        "StatusCode": "Error",
        "StatusMessage": "exit 2",
        "Events.Timestamp": [1_700_000_000_123_457_000],
        "Events.Name": ["exception"],
        "Events.Attributes": [{"exception.type": "TimeoutError"}],
        "Links.TraceId": ["aa" * 16],
        "Links.SpanId": ["bb" * 8],
        "Links.TraceState": ["l=1"],
        "Links.Attributes": [{"why": "follows"}],
    }


def test_root_spans_have_an_empty_parent_and_unknown_enums_fall_back() -> None:
    span = make_span("root", kind=Span.SPAN_KIND_UNSPECIFIED)
    span.kind = 42  # type: ignore[assignment]  # a newer client's enum value
    columns = flatten_request(make_request([span]))
    assert columns["ParentSpanId"] == [""]
    assert columns["SpanKind"] == ["Unspecified"]
    assert columns["StatusCode"] == ["Unset"]


def test_span_names_are_capped_too() -> None:
    columns = flatten_request(
        make_request([make_span("n" * 50)]), AttributeLimits(max_value_length=10)
    )
    assert columns["SpanName"] == ["nnnnnnnnn…"]
