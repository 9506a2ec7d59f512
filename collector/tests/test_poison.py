"""One bad span must never stop storage: out-of-range times are rejected at the door, and a block
storage refuses for its data is split so the rest is stored and the bad span quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from gapwatch.collector import CollectorServer, StorageUnavailable, flatten_request
from gapwatch.collector.cli import main as collector_main
from gapwatch.collector.errors import UnstorableData
from gapwatch.collector.insert_errors import classify_insert_error
from gapwatch.collector.pipeline import body_digest
from gapwatch.collector.testing import make_request, make_span
from gapwatch.collector.wal import WriteAheadLog
from gapwatch.collector.writer import ClickHouseSpanWriter

PROTOBUF = {"content-type": "application/x-protobuf"}
BEYOND_2262 = 2**64 - 1


def with_event(span: Span, time_ns: int) -> Span:
    event = span.events.add()
    event.time_unix_nano = time_ns
    event.name = "event"
    return span


def with_repeated_key(span: Span) -> Span:
    # a key twice in one list is what sends a block from the SQL path to the Python path
    span.attributes.append(KeyValue(key="k", value=AnyValue(string_value="1")))
    span.attributes.append(KeyValue(key="k", value=AnyValue(string_value="2")))
    return span


def stored_names(server: CollectorServer) -> list[str]:
    assert server.wait_stored(30), "storage stalled"
    rows = server.client.query("SELECT SpanName FROM otel_traces ORDER BY SpanName").result_rows
    return [name for (name,) in rows]


def log_as_an_earlier_version_did(wal_dir: Path, requests: list[list[Span]]) -> None:
    """Acknowledged records in the WAL that today's validation would have rejected: what an
    older collector left behind, and the only way data refused by storage reaches the drainer."""
    wal = WriteAheadLog(wal_dir)
    for spans in requests:
        payload = make_request(spans).SerializeToString()
        wal.sync(wal.append(payload, body_digest(payload), 0, len(spans)))
    wal.close()


@pytest.mark.parametrize("python_only", [True, False])
def test_times_storage_cannot_hold_are_rejected_through_partial_success(
    make_server, python_only: bool
) -> None:
    server = make_server(clickhouse_parses_otlp=not python_only)
    spans = [
        with_repeated_key(make_span("good")),
        with_event(make_span("good with an event at 0"), 0),
        with_repeated_key(with_event(make_span("event beyond 2262"), BEYOND_2262)),
        with_event(make_span("event at 2^63"), 2**63),
        make_span("ends beyond 2262", duration_ns=0),
    ]
    spans[-1].end_time_unix_nano = BEYOND_2262
    response = httpx.post(
        f"http://127.0.0.1:{server.http_port}/v1/traces",
        content=make_request(spans).SerializeToString(),
        headers=PROTOBUF,
        timeout=30,
    )
    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 3
    assert "event time after the year 2262" in partial.error_message
    assert "ending after the year 2262" in partial.error_message
    # nothing silently stored as 1969 on either path
    assert stored_names(server) == ["good", "good with an event at 0"]
    assert server.health.available


@pytest.mark.parametrize("python_only", [True, False])
def test_a_block_storage_refuses_is_split_and_only_the_bad_span_quarantined(
    make_server, tmp_path: Path, python_only: bool
) -> None:
    wal_dir = tmp_path / "data" / "wal"
    poison = with_repeated_key(with_event(make_span("poison"), BEYOND_2262))
    log_as_an_earlier_version_did(
        wal_dir,
        [
            [make_span("a1"), make_span("a2"), make_span("a3")],
            [make_span("b1"), poison, make_span("b2"), make_span("b3")],
            [make_span("c1"), make_span("c2")],
        ],
    )
    server = make_server(
        wal_dir=wal_dir, clickhouse_parses_otlp=not python_only, batch_spans=1000, linger_s=0.5
    )
    assert stored_names(server) == ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2"]
    assert server.health.available

    (entry,) = server.quarantine.entries()
    assert entry.spans == 1 and entry.span_ids == (poison.span_id.hex(),)
    assert "Events.Timestamp" in entry.reason
    base = f"http://127.0.0.1:{server.http_port}"
    assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert "gapwatch_collector_quarantined_spans_total 1.0" in metrics
    assert "gapwatch_collector_quarantine_entries 1.0" in metrics
    assert "gapwatch_collector_isolated_blocks_total 1.0" in metrics
    listed = httpx.get(f"{base}/v1/quarantine", timeout=10).json()["entries"]
    assert [e["span_ids"] for e in listed] == [[poison.span_id.hex()]]
    assert "payload" not in listed[0] and listed[0]["payload_bytes"] > 0

    # storage keeps going after it
    response = httpx.post(
        f"{base}/v1/traces",
        content=make_request([make_span("after")]).SerializeToString(),
        headers=PROTOBUF,
        timeout=30,
    )
    assert response.status_code == 200
    assert "after" in stored_names(server)


def test_the_cli_lists_the_quarantine_of_a_data_dir(
    make_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    poison = with_event(make_span("poison"), BEYOND_2262)
    log_as_an_earlier_version_did(data_dir / "wal", [[poison, make_span("fine")]])
    server = make_server(wal_dir=data_dir / "wal", clickhouse_parses_otlp=False)
    assert stored_names(server) == ["fine"]
    assert collector_main(["quarantine", "--data-dir", str(data_dir)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    listed = json.loads(line)
    assert listed["span_ids"] == [poison.span_id.hex()] and listed["spans"] == 1
    assert "Events.Timestamp" in listed["reason"]


def test_unavailable_storage_is_waited_out_and_never_mistaken_for_bad_data(
    make_server, tmp_path: Path, ch_client: Client
) -> None:
    wal_dir = tmp_path / "data" / "wal"
    poison = with_event(make_span("poison"), BEYOND_2262)
    log_as_an_earlier_version_did(wal_dir, [[make_span("x1"), poison, make_span("x2")]])
    ch_client.command("DETACH TABLE otel_traces")  # every insert now fails: availability
    server = make_server(wal_dir=wal_dir, clickhouse_parses_otlp=False, create_schema=False)
    try:
        deadline_checks = 0
        while server.health.available and deadline_checks < 400:
            server.drainer.wait_idle(0.05)
            deadline_checks += 1
        assert not server.health.available
        assert server.quarantine.entries() == [], "an outage must not quarantine anything"
    finally:
        ch_client.command("ATTACH TABLE otel_traces")
    assert stored_names(server) == ["x1", "x2"]
    assert [entry.span_ids for entry in server.quarantine.entries()] == [(poison.span_id.hex(),)]
    assert server.health.available


def test_insert_errors_are_classified_by_what_caused_them(ch_client: Client) -> None:
    writer = ClickHouseSpanWriter(ch_client)
    columns = flatten_request(make_request([with_event(make_span(), BEYOND_2262)]))
    with pytest.raises(UnstorableData, match="Events.Timestamp"):
        writer.write(columns, "t1")
    with pytest.raises(UnstorableData, match="DECIMAL_OVERFLOW"):
        try:
            ch_client.command("SELECT toDateTime64('3000-01-01', 9)")
        except Exception as error:  # the engine's own error, classified as the drainer does
            raise classify_insert_error(error, "insert") from error
    ch_client.command("DETACH TABLE otel_traces")
    try:
        good = flatten_request(make_request([make_span()]))
        with pytest.raises(StorageUnavailable):
            writer.write(good, "t2")
    finally:
        ch_client.command("ATTACH TABLE otel_traces")
    assert isinstance(classify_insert_error(OSError(28, "No space left"), "x"), StorageUnavailable)


def test_the_quarantine_listing_needs_the_ingest_token_when_one_is_set(make_server) -> None:
    server = make_server(ingest_tokens=("s3cret-token",))
    url = f"http://127.0.0.1:{server.http_port}/v1/quarantine"
    assert httpx.get(url, timeout=10).status_code == 401
    answer = httpx.get(url, headers={"authorization": "Bearer s3cret-token"}, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"entries": []}
