"""No secret reaches the write-ahead log, and stored spans leave it by time, not only by size."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from gapwatch.collector.pipeline import body_digest
from gapwatch.collector.testing import make_request, make_span
from gapwatch.collector.wal import WriteAheadLog

PROTOBUF = {"content-type": "application/x-protobuf"}
SECRET = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
KEYED = "opaque-session-value-77"


def wal_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def post(server, body: bytes) -> httpx.Response:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{server.http_port}/v1/traces"
    return httpx.post(url, content=body, headers=PROTOBUF, timeout=30)


def secret_request() -> bytes:
    span = make_span(f"call {SECRET}", attributes={"session_token": KEYED, "note": SECRET})
    span.trace_state = f"vendor={SECRET}"
    nested = AnyValue()
    entry = nested.kvlist_value.values.add(key="password")
    entry.value.string_value = KEYED + "-nested"
    span.attributes.add(key="config", value=nested)
    return make_request([span], scope=(f"scope {SECRET}", "1.0")).SerializeToString()


def test_secrets_are_redacted_before_the_wal_append(make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server()
    server.drainer.stop(drain_timeout_s=0)  # nothing is stored: the WAL is all there is
    assert post(server, secret_request()).status_code == 200
    logged = wal_bytes(server.config.wal_dir)
    assert b"call [REDACTED:github_token]" in logged, "the span never reached the WAL"
    for needle in (SECRET, KEYED):
        assert needle.encode() not in logged, f"{needle} is in the WAL"


def test_stored_segments_are_removed_by_age_even_when_not_full(make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server(wal_segment_max_age_s=0.5)
    marker = "marker-span-for-retirement"
    assert post(server, make_request([make_span(marker)]).SerializeToString()).status_code == 200
    assert server.wait_stored(20)
    assert marker.encode() in wal_bytes(server.config.wal_dir)  # stored, still on disk
    deadline = time.monotonic() + 10
    while marker.encode() in wal_bytes(server.config.wal_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.encode() not in wal_bytes(server.config.wal_dir)
    # the log goes on taking and storing records after retiring its segment
    assert post(server, make_request([make_span("after")]).SerializeToString()).status_code == 200
    assert server.wait_stored(20)
    names = server.client.query("SELECT SpanName FROM otel_traces ORDER BY SpanName").result_rows
    assert names == [("after",), (marker,)]


def test_under_steady_traffic_segments_close_by_age_and_go_once_stored(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path / "wal", segment_max_age_s=0.2)
    first = make_request([make_span("first")]).SerializeToString()
    position = wal.append(first, body_digest(first), 0, 1)
    wal.sync(position)
    time.sleep(0.25)
    second = make_request([make_span("second")]).SerializeToString()
    later = wal.append(second, body_digest(second), 0, 1)
    wal.sync(later)
    assert later.segment == position.segment + 1  # closed by age, far below its size limit
    wal.commit(position)  # the first segment's spans are stored
    assert b"first" not in wal_bytes(tmp_path / "wal")
    assert b"second" in wal_bytes(tmp_path / "wal")
    wal.close()
