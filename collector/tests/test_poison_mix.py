"""Valid traffic mixed with malformed-but-decodable spans (every field at its type's extremes):
storage never stalls, every valid span is stored once, and every span is accounted for as
stored, rejected through partial success, or quarantined.

Seeded and bounded (a fixed number of requests per path), so a failure replays exactly.
"""

from __future__ import annotations

import os
import random
import time
from typing import TypeVar

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from gapwatch.collector.testing import make_request, make_span

T = TypeVar("T")
PROTOBUF = {"content-type": "application/x-protobuf"}
REQUESTS = 24
SEED = 13
INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
INT32_MIN, INT32_MAX, UINT32_MAX = -(2**31), 2**31 - 1, 2**32 - 1


def extreme_text(rng: random.Random) -> str:
    return rng.choice(
        ["", "x" * 40_000, "\x00\x1b\u2028\ufffd", "🙂" * 300, "k=v,k2=v2", " ", "a" * 255]
    )


def sometimes(rng: random.Random, usual: T, extremes: list[T]) -> T:
    """Mostly the usual value, so most spans pass validation and carry their other extremes
    on to storage; a field is at an extreme one time in three."""
    return rng.choice(extremes) if rng.random() < 1 / 3 else usual


def extreme_id(rng: random.Random, size: int) -> bytes:
    extremes = [b"", bytes(size), os.urandom(size - 1), os.urandom(size + 1)]
    return sometimes(rng, rng.choice([os.urandom(size), b"\xff" * size]), extremes)


def extreme_value(rng: random.Random, depth: int = 0) -> AnyValue:
    kind = rng.randrange(9 if depth < 40 else 6)
    if kind == 0:
        return AnyValue(int_value=rng.choice([INT64_MIN, INT64_MAX, 0, -1]))
    if kind == 1:
        number = rng.choice([float("nan"), float("inf"), -float("inf"), -0.0, 1.7e308, 5e-324])
        return AnyValue(double_value=number)
    if kind == 2:
        return AnyValue(bytes_value=rng.choice([b"", b"\x00\xff" * 100]))
    if kind == 3:
        return AnyValue(string_value=extreme_text(rng))
    if kind == 4:
        return AnyValue(bool_value=rng.random() < 0.5)
    if kind == 5:
        return AnyValue()  # no value at all
    nested = AnyValue()
    if kind == 6:
        nested.array_value.values.append(extreme_value(rng, depth + 1))
    else:  # a chain of key-value lists, deeper than any cap
        nested.kvlist_value.values.append(KeyValue(key="n", value=extreme_value(rng, depth + 1)))
    return nested


def extreme_attributes(rng: random.Random) -> list[KeyValue]:
    keys = ["", "k", "k", "key" * 5_000, "\x00", "service.name"]
    return [
        KeyValue(key=rng.choice(keys), value=extreme_value(rng))
        for _ in range(rng.choice([0, 1, 3, 200]))
    ]


def extreme_span(rng: random.Random, now: int) -> Span:
    start = sometimes(
        rng, rng.choice([now, now - 86_400 * 10**9]), [0, 1, INT64_MAX, UINT64_MAX, now + 10**15]
    )
    span = Span(
        trace_id=extreme_id(rng, 16),
        span_id=extreme_id(rng, 8),
        parent_span_id=sometimes(rng, b"", [os.urandom(8), bytes(8), os.urandom(3)]),
        trace_state=extreme_text(rng),
        name=extreme_text(rng),
        kind=rng.choice([0, 5, 6, -1, INT32_MAX, INT32_MIN]),  # type: ignore[arg-type]
        start_time_unix_nano=start,
        end_time_unix_nano=sometimes(rng, min(start + 1, UINT64_MAX), [start, 0, INT64_MAX]),
        dropped_attributes_count=UINT32_MAX,
        flags=UINT32_MAX,
    )
    span.attributes.extend(extreme_attributes(rng))
    for _ in range(rng.choice([0, 1, 5])):
        event = span.events.add()
        event.time_unix_nano = rng.choice([0, now, INT64_MAX, 2**63, UINT64_MAX])
        event.name = extreme_text(rng)
        event.attributes.extend(extreme_attributes(rng))
    for _ in range(rng.choice([0, 2])):
        link = span.links.add()
        link.trace_id = extreme_id(rng, 16)
        link.span_id = extreme_id(rng, 8)
        link.trace_state = extreme_text(rng)
        link.attributes.extend(extreme_attributes(rng))
    span.status.code = rng.choice([0, 2, 3, -1, INT32_MAX])  # type: ignore[assignment]
    span.status.message = extreme_text(rng)
    return span


@pytest.mark.parametrize("python_only", [True, False])
def test_hostile_spans_mixed_into_valid_traffic_never_stall_storage(
    make_server, python_only: bool
) -> None:
    server = make_server(clickhouse_parses_otlp=not python_only, batch_spans=200)
    rng = random.Random(SEED)
    now = time.time_ns()
    valid_names: list[str] = []
    sent = rejected = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{server.http_port}", timeout=60) as client:
        for number in range(REQUESTS):
            spans = []
            for index in range(rng.randrange(1, 12)):
                if rng.random() < 0.5:
                    valid_names.append(f"valid-{number}-{index}")
                    spans.append(make_span(valid_names[-1], attributes={"i": index}))
                else:
                    spans.append(extreme_span(rng, now))
            request = make_request(
                spans,
                resource={"r": "v" * rng.choice([1, 30_000])},
                scope=(extreme_text(rng), extreme_text(rng)),
            )
            response = client.post(
                "/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
            )
            assert response.status_code == 200, (number, response.status_code, response.content)
            partial = ExportTraceServiceResponse.FromString(response.content).partial_success
            sent += len(spans)
            rejected += partial.rejected_spans
    assert server.wait_stored(60), "storage stalled"
    assert server.health.available
    names = server.client.query(
        "SELECT SpanName, count() FROM otel_traces WHERE startsWith(SpanName, 'valid-')"
        " GROUP BY SpanName"
    ).result_rows
    assert dict(names) == {name: 1 for name in valid_names}
    ((stored,),) = server.client.query("SELECT count() FROM otel_traces").result_rows
    quarantined = sum(entry.spans for entry in server.quarantine.entries())
    assert stored + rejected + quarantined == sent
    assert rejected > 0, "the mix should hold spans that validation rejects"
