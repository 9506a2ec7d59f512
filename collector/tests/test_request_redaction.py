"""Redacting a whole request: every string field, and the byte scan that skips clean requests."""

from __future__ import annotations

import dataclasses
import random

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from gapwatch.collector.redaction import REDACTED, Redactor
from gapwatch.collector.request_redaction import redact_request
from gapwatch.collector.testing import any_value, make_request, make_span

SECRET_TEXTS = (
    "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234",
    "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    "github_pat_11AAAAAAA0Zy8Xw7Vu6Ts5_RqPoNmLkJiHgFeDcBa",
    "jane.roe@example.org",
    "Bearer be4rerT0kenValue99",
    "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
    "https://x.io/cb?password=Pa55QueryValue",
    "next=%2Fcb%3Fkey%3DEnc0dedKeyValue",
    "AKIAIOSFODNN7EXAMPLE",
)
SECRET_KEYS = ("token", "x-auth-token", "sessionToken", "api key", "private-key", "pwd")
HARMLESS_KEYS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.request.max_tokens",
    "llm.token_count.prompt",
    "gen_ai.tool.name",
    "cache.key",
)


def every_field_request(text: str) -> ExportTraceServiceRequest:
    span = make_span(f"name {text}", attributes={"a": text, "nested": {"k": [text]}})
    span.trace_state = f"v={text}"
    span.status.message = text
    event = span.events.add(name=f"event {text}")
    event.attributes.add(key=f"key {text}", value=any_value("v"))
    link = span.links.add(trace_id=bytes(range(1, 17)), span_id=bytes(range(1, 9)))
    link.trace_state = f"v={text}"
    link.attributes.add(key="b", value=any_value(text))
    request = make_request([span], resource={"r": text}, scope=(f"s {text}", f"1 {text}"))
    request.resource_spans[0].scope_spans[0].scope.attributes.add(
        key="c", value=AnyValue(string_value=text)
    )
    request.resource_spans[0].schema_url = f"https://x.io/s?token={text}"
    return request


@pytest.mark.parametrize("text", SECRET_TEXTS)
def test_a_secret_in_any_string_field_is_redacted(text: str) -> None:
    request = every_field_request(text)
    assert redact_request(request, Redactor.default()) >= 14
    assert text.encode() not in request.SerializeToString()


def test_secret_keys_hide_whole_values_at_any_depth_and_of_any_type() -> None:
    span = make_span(
        "s",
        attributes={
            "pwd": 1234,
            "credentials": ["a", "b"],
            "config": {"inner": {"password": "opaque-1"}, "keep": "visible"},
            "list": [{"session_token": "opaque-2"}],
            "gen_ai.usage.input_tokens": 5,
        },
    )
    request = make_request([span])
    redact_request(request, Redactor.default())
    attributes = {
        kv.key: kv.value for kv in request.resource_spans[0].scope_spans[0].spans[0].attributes
    }
    assert attributes["pwd"].string_value == REDACTED
    assert attributes["credentials"].string_value == REDACTED
    assert attributes["gen_ai.usage.input_tokens"].int_value == 5
    config = {kv.key: kv.value for kv in attributes["config"].kvlist_value.values}
    assert config["keep"].string_value == "visible"
    assert config["inner"].kvlist_value.values[0].value.string_value == REDACTED
    listed = attributes["list"].array_value.values[0].kvlist_value.values[0]
    assert listed.value.string_value == REDACTED
    serialized = request.SerializeToString()
    assert b"opaque-1" not in serialized and b"opaque-2" not in serialized


def test_a_request_without_secrets_is_left_untouched_without_a_walk() -> None:
    spans = [
        make_span(f"execute_tool t{i}", attributes={k: 12 for k in HARMLESS_KEYS})
        for i in range(50)
    ]
    body = make_request(spans).SerializeToString()
    redactor = Redactor.default()
    assert not redactor.may_hold_secrets(body)
    request = ExportTraceServiceRequest.FromString(body)
    assert redact_request(request, redactor, body) == 0
    assert request.SerializeToString() == body


def test_the_byte_scan_never_skips_a_request_the_walk_would_change() -> None:
    # random placements, key lengths around every length-byte value that prints as a letter
    rng = random.Random(13)
    gated = Redactor.default()
    walking = dataclasses.replace(gated, gate=None)
    walked = 0
    for _ in range(400):
        padding = "x" * rng.randrange(0, 130)
        key = rng.choice(
            [f"{rng.choice(SECRET_KEYS)}.{padding}", f"{padding}.{rng.choice(HARMLESS_KEYS)}"]
        )
        value = rng.choice([rng.choice(SECRET_TEXTS), "plain value", padding])
        attributes = {key: value, rng.choice(HARMLESS_KEYS): 3}
        span = make_span(rng.choice(["s", f"s {value}"]), attributes=attributes)
        request = make_request([span])
        body = request.SerializeToString()
        expected = ExportTraceServiceRequest.FromString(body)
        changed = redact_request(expected, walking)
        actual = ExportTraceServiceRequest.FromString(body)
        redact_request(actual, gated, body)
        assert actual == expected, (key, value)
        walked += changed > 0
    assert 100 < walked < 400  # both kinds of request were drawn
