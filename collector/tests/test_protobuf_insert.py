"""ClickHouse flattening OTLP itself must store exactly what the Python path stores."""

from __future__ import annotations

import math
import random
import shutil
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from gapwatch.collector.flatten import INSERT_COLUMNS, AttributeLimits, flatten_request
from gapwatch.collector.protobuf_insert import (
    NeedsPythonFlatten,
    ProtobufSpanWriter,
    protobuf_path_problem,
)
from gapwatch.collector.protobuf_shape import DEFAULT_DEPTH
from gapwatch.collector.redaction import Redactor
from gapwatch.collector.testing import any_value, make_request, make_span
from gapwatch.collector.writer import ClickHouseSpanWriter

PYTHON_TABLE = "otel_traces_python"
COLUMNS = ", ".join(f"`{name}`" for name in INSERT_COLUMNS)

# text that exercises JSON escaping, UTF-8, and every default redaction pattern
TEXT_PIECES = (
    "plain",
    'quote " and backslash \\',
    "tab\tnew\nline\rret\x08\x0c\x00\x1f\x7f",
    "é ü 漢字 😀 \u2028",
    "alice@example.com",
    "Bearer abcdefghijklmnop.qrs",
    "bearer\x0bZYXWVUTSRQ12345678",
    "sk-ant-0123456789abcdefABCDEF",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl",
    "AKIAABCDEFGHIJKLMNOP",
    "ghp_" + "a1" * 18,
    "xoxb-1234567890-abcdef",
    "AIza" + "B" * 35,
    "<html> & 'single'",
    "",
)
KEYS = (
    "gen_ai.tool.name",
    "gen_ai.usage.input_tokens",
    "Authorization",
    "http.request.header.x-api-key",
    "db.password_hint",
    "user.email",
    "é.key",
    'quote"key',
    "",
    "K\u212aY_PASSWORD",  # Kelvin sign: not an ASCII letter, so never lowered to "k"
)
DOUBLES = (
    0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, 1e21, 1e20, 9.99e20, 1e-6, 9.9e-7, 1.5e-7, 5e-324,
    1.7976931348623157e308, 2.0**53, 2.0**63, 123456789.125,
    math.nan, math.inf, -math.inf,
)  # fmt: skip


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(TEXT_PIECES) for _ in range(rng.randrange(1, 4)))


def _random_scalar(rng: random.Random) -> AnyValue:
    kind = rng.randrange(7)
    if kind == 0:
        return AnyValue(string_value=_random_text(rng))
    if kind == 1:
        return AnyValue(bool_value=rng.random() < 0.5)
    if kind == 2:
        return AnyValue(
            int_value=rng.choice([0, -1, 2**63 - 1, -(2**63), rng.randrange(-999, 999)])
        )
    if kind == 3:
        bits = struct.unpack("<d", rng.randbytes(8))[0]
        return AnyValue(double_value=rng.choice([*DOUBLES, bits, rng.uniform(-1e6, 1e6)]))
    if kind == 4:
        return AnyValue(bytes_value=rng.randbytes(rng.randrange(0, 12)))
    if kind == 5:
        return AnyValue()  # no value set
    return AnyValue(string_value=rng.choice(TEXT_PIECES))


def _random_value(rng: random.Random, containers_left: int) -> AnyValue:
    if containers_left == 0 or rng.random() < 0.6:
        return _random_scalar(rng)
    value = AnyValue()
    if rng.random() < 0.5:
        value.array_value.values.extend(
            _random_value(rng, containers_left - 1) for _ in range(rng.randrange(0, 4))
        )
    else:
        value.kvlist_value.values.extend(
            KeyValue(key=rng.choice(KEYS), value=_random_value(rng, containers_left - 1))
            for _ in range(rng.randrange(0, 4))
        )
    return value


def _random_attributes(rng: random.Random, count: int, depth: int) -> list[KeyValue]:
    keys = rng.sample(KEYS, min(count, len(KEYS))) + [f"extra.{i}" for i in range(count - 10)]
    return [KeyValue(key=key, value=_random_value(rng, depth)) for key in keys[:count]]


def _random_request(rng: random.Random, spans: int, depth: int) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    now = time.time_ns()
    for _ in range(rng.randrange(1, 4)):
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(
            _random_attributes(rng, rng.randrange(0, 8), depth)
        )
        if rng.random() < 0.8:
            resource_spans.resource.attributes.add(key="service.name", value=any_value("svc"))
        for _ in range(rng.randrange(1, 3)):
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = rng.choice(["", "gapwatch", _random_text(rng)])
            scope_spans.scope.version = rng.choice(["", "1.2.3"])
            for _ in range(spans):
                span = make_span(
                    _random_text(rng),
                    parent_span_id=rng.choice([b"", bytes(8), rng.randbytes(8)]),
                    start_ns=now - rng.randrange(0, 10**12),
                    duration_ns=rng.randrange(0, 10**10),
                    kind=rng.randrange(-1, 8),
                    status_code=rng.randrange(0, 4),
                    status_message=_random_text(rng),
                )
                span.trace_state = rng.choice(["", "vendor=x"])
                span.attributes.extend(_random_attributes(rng, rng.randrange(0, 12), depth))
                for _ in range(rng.randrange(0, 3)):
                    event = span.events.add(time_unix_nano=now, name=_random_text(rng))
                    event.attributes.extend(_random_attributes(rng, rng.randrange(0, 4), depth))
                for _ in range(rng.randrange(0, 3)):
                    link = span.links.add(trace_id=rng.randbytes(16), span_id=rng.randbytes(8))
                    link.trace_state = rng.choice(["", "a=b"])
                    link.attributes.extend(_random_attributes(rng, rng.randrange(0, 3), depth))
                scope_spans.spans.append(span)
    return request


@pytest.fixture
def tables(ch_client: Client) -> Client:
    ch_client.command(f"CREATE TABLE {PYTHON_TABLE} AS otel_traces")
    return ch_client


def _store_both(
    client: Client,
    scratch: Path,
    request: ExportTraceServiceRequest,
    redactor: Redactor | None,
    limits: AttributeLimits,
    depth: int = DEFAULT_DEPTH,
) -> None:
    columns = flatten_request(request, limits, redactor)
    ClickHouseSpanWriter(client, PYTHON_TABLE).write(columns, "python")
    writer = ProtobufSpanWriter(client, scratch, limits, redactor, depth=depth)
    writer.write_payload(request.SerializeToString(), "clickhouse")


def _differences(client: Client) -> tuple[int, int]:
    only_sql = client.command(
        f"SELECT count() FROM (SELECT {COLUMNS} FROM otel_traces "
        f"EXCEPT DISTINCT SELECT {COLUMNS} FROM {PYTHON_TABLE})"
    )
    only_python = client.command(
        f"SELECT count() FROM (SELECT {COLUMNS} FROM {PYTHON_TABLE} "
        f"EXCEPT DISTINCT SELECT {COLUMNS} FROM otel_traces)"
    )
    return int(only_sql), int(only_python)  # type: ignore[arg-type]


# (seed, unrolled depth): the default depth, and deeper unrolling for nested arrays and kvlists
@pytest.mark.parametrize(
    ("seed", "depth"), [(0, DEFAULT_DEPTH), (1, DEFAULT_DEPTH), (2, 2), (3, 3), (4, 3), (5, 4)]
)
def test_random_requests_store_identical_rows_on_both_paths(
    tables: Client, tmp_path: Path, seed: int, depth: int
) -> None:
    rng = random.Random(seed)
    request = _random_request(rng, spans=40, depth=depth)
    redactor = Redactor.default() if seed % 2 == 0 else None
    _store_both(tables, tmp_path, request, redactor, AttributeLimits(), depth)
    spans = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    assert tables.command("SELECT count() FROM otel_traces") == spans
    assert tables.command(f"SELECT count() FROM {PYTHON_TABLE}") == spans
    assert _differences(tables) == (0, 0)


def test_the_comparison_notices_a_single_different_value(tables: Client, tmp_path: Path) -> None:
    # guards the equivalence test itself: one changed attribute must show up on both sides
    request = make_request([make_span("a", attributes={"x": 1.5, "y": [1, {"k": "v"}]})])
    _store_both(tables, tmp_path, request, None, AttributeLimits(), depth=2)
    assert _differences(tables) == (0, 0)
    tables.command(
        f"ALTER TABLE {PYTHON_TABLE} UPDATE StatusMessage = 'b' WHERE 1 SETTINGS mutations_sync = 1"
    )
    assert _differences(tables) == (1, 1)


def test_rendering_matches_pdata_on_known_values(ch_client: Client, tmp_path: Path) -> None:
    span = make_span(
        "s",
        attributes={
            "big": 1e21,
            "tiny": 1.5e-7,
            "whole": 3.0,
            "nested": {"k": [1, {"n": False}], "s": "é"},
            "api_key": "abc",
            "note": "mail bob@example.com now",
        },
    )
    listed = AnyValue()
    listed.array_value.values.extend(
        [any_value(1), any_value('say "hi"\n'), any_value(True), AnyValue()]
        + [any_value(b"\x00\xff"), any_value(math.inf)]
    )
    span.attributes.add(key="list", value=listed)
    writer = ProtobufSpanWriter(ch_client, tmp_path, redactor=Redactor.default(), depth=3)
    writer.write_payload(make_request([span]).SerializeToString(), "t")
    stored = ch_client.query("SELECT SpanAttributes FROM otel_traces").result_rows[0][0]
    assert stored == {
        "big": "1e+21",
        "tiny": "1.5e-7",
        "whole": "3",
        "nested": '{"k":[1,{"n":false}],"s":"é"}',
        "api_key": "[REDACTED]",
        "note": "mail [REDACTED:email] now",
        "list": '[1,"say \\"hi\\"\\n",true,null,"AP8=","json: unsupported value: +Inf"]',
    }


@pytest.mark.parametrize(
    ("attributes", "limits"),
    [
        ({"deep": [[1]]}, AttributeLimits()),  # nested deeper than the default unrolling
        ({"long": "x" * 40}, AttributeLimits(max_value_length=32)),
        ({f"k{i}": i for i in range(5)}, AttributeLimits(max_attributes=4)),
    ],
)
def test_blocks_beyond_the_sql_path_insert_nothing_and_ask_for_python(
    ch_client: Client, tmp_path: Path, attributes: dict[str, Any], limits: AttributeLimits
) -> None:
    spans = [make_span(f"s{i}") for i in range(2000)] + [make_span("odd", attributes=attributes)]
    # small engine blocks: should a later engine split the span stream into chunks, the odd span
    # comes last, after chunks that passed the checks
    ch_client.set_client_setting("max_block_size", "100")
    writer = ProtobufSpanWriter(ch_client, tmp_path, limits)
    with pytest.raises(NeedsPythonFlatten):
        writer.write_payload(make_request(spans).SerializeToString(), "t")
    assert ch_client.command("SELECT count() FROM otel_traces") == 0
    assert {path.suffix for path in tmp_path.iterdir()} == {".proto"}  # the block file is gone


def test_repeated_attribute_keys_ask_for_python(ch_client: Client, tmp_path: Path) -> None:
    span = make_span("dup")
    span.attributes.add(key="k", value=any_value("first"))
    span.attributes.add(key="k", value=any_value("second"))
    with pytest.raises(NeedsPythonFlatten):
        ProtobufSpanWriter(ch_client, tmp_path).write_payload(
            make_request([span]).SerializeToString(), "t"
        )
    assert ch_client.command("SELECT count() FROM otel_traces") == 0


def test_the_same_token_stores_a_block_once(ch_client: Client, tmp_path: Path) -> None:
    request = make_request([make_span(f"s{i}") for i in range(10)])
    writer = ProtobufSpanWriter(ch_client, tmp_path)
    writer.write_payload(request.SerializeToString(), "block-1")
    writer.write_payload(request.SerializeToString(), "block-1")
    assert ch_client.command("SELECT count() FROM otel_traces") == 10
    assert ch_client.command("SELECT count() FROM otel_traces_trace_id_ts") == 10
    writer.write_payload(request.SerializeToString(), "block-2")
    assert ch_client.command("SELECT count() FROM otel_traces") == 20


def test_which_collectors_can_use_the_sql_path(ch_client: Client) -> None:
    assert protobuf_path_problem(ch_client, True, Redactor.default()) == ""
    assert protobuf_path_problem(ch_client, True, None) == ""
    assert "server" in protobuf_path_problem(ch_client, False, None)
    assert "hook" in protobuf_path_problem(ch_client, True, lambda key, value: value)
    lookahead = Redactor.default(extra_patterns=[r"secret(?=\d)"])
    assert "not valid RE2" in protobuf_path_problem(ch_client, True, lookahead)


def test_a_span_kind_beyond_the_enum_is_stored_as_unspecified(
    ch_client: Client, tmp_path: Path
) -> None:
    span = make_span("k", kind=Span.SPAN_KIND_CLIENT)
    span.kind = 9  # type: ignore[assignment]
    ProtobufSpanWriter(ch_client, tmp_path).write_payload(
        make_request([span]).SerializeToString(), "t"
    )
    assert ch_client.command("SELECT SpanKind FROM otel_traces") == "Unspecified"


def _python_flattened_blocks(server: Any) -> float:
    value = server.metrics.registry.get_sample_value(
        "gapwatch_collector_python_flattened_blocks_total"
    )
    return float(value or 0.0)


def test_the_collector_stores_plain_blocks_in_sql_and_capped_ones_in_python(make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server(limits=AttributeLimits(max_value_length=100))
    plain = make_request([make_span("plain", attributes={"k": "v"})])
    server.pipeline.submit(plain, plain.SerializeToString(), b"plain")
    assert server.wait_stored(20)
    assert _python_flattened_blocks(server) == 0

    capped = make_request([make_span("capped", attributes={"k": "y" * 1000})])
    server.pipeline.submit(capped, capped.SerializeToString(), b"capped")
    assert server.wait_stored(20)
    assert _python_flattened_blocks(server) == 1
    rows = server.client.query(
        "SELECT SpanName, SpanAttributes['k'] FROM otel_traces ORDER BY SpanName"
    ).result_rows
    assert rows == [("capped", "y" * 99 + "…"), ("plain", "v")]


def test_the_collector_can_be_told_to_flatten_in_python_only(make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server(clickhouse_parses_otlp=False)
    request = make_request([make_span("plain")])
    server.pipeline.submit(request, request.SerializeToString(), b"x")
    assert server.wait_stored(20)
    assert not server.drainer.clickhouse_parses_otlp
    assert server.client.command("SELECT count() FROM otel_traces") == 1


def test_the_python_only_switch_maps_from_flag_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gapwatch.collector.cli import arguments_from_environment, config_from_arguments

    assert config_from_arguments(arguments_from_environment()).clickhouse_parses_otlp
    monkeypatch.setenv("GAPWATCH_PYTHON_FLATTEN", "1")
    assert not config_from_arguments(arguments_from_environment()).clickhouse_parses_otlp


def test_nothing_is_written_outside_the_scratch_directory(
    ch_client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an inline schema would make the engine cache it under the working directory
    workdir, scratch = tmp_path / "cwd", tmp_path / "scratch"
    workdir.mkdir()
    scratch.mkdir()
    monkeypatch.chdir(workdir)
    ProtobufSpanWriter(ch_client, scratch).write_payload(
        make_request([make_span("s")]).SerializeToString(), "t"
    )
    assert list(workdir.iterdir()) == []
    assert [path.suffix for path in scratch.iterdir()] == [".proto"]


def test_a_block_file_that_cannot_be_written_is_a_retryable_storage_error(
    ch_client: Client, tmp_path: Path
) -> None:
    from gapwatch.collector.errors import StorageUnavailable

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    writer = ProtobufSpanWriter(ch_client, scratch)
    shutil.rmtree(scratch)  # the WAL directory vanished under the collector
    with pytest.raises(StorageUnavailable):
        writer.write_payload(make_request([make_span("s")]).SerializeToString(), "t")
    assert ch_client.command("SELECT count() FROM otel_traces") == 0
