"""The write-ahead log and its drainer at exact crash points, against the real engine."""

from __future__ import annotations

from pathlib import Path

from clickhouse_connect.driver.client import Client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gapwatch.collector.drain import WalDrainer
from gapwatch.collector.flatten import flatten_request
from gapwatch.collector.pipeline import StorageHealth, body_digest
from gapwatch.collector.testing import make_request, make_span
from gapwatch.collector.wal import Position, WriteAheadLog, iter_records
from gapwatch.collector.writer import ClickHouseSpanWriter


def log_requests(wal: WriteAheadLog, count: int, spans: int = 3) -> list[bytes]:
    payloads = []
    for n in range(count):
        payload = make_request([make_span(f"r{n}-{i}") for i in range(spans)]).SerializeToString()
        wal.sync(wal.append(payload, body_digest(payload), rejected=n % 2, spans=spans))
        payloads.append(payload)
    return payloads


def span_counts(client: Client) -> dict[str, int]:
    rows = client.query("SELECT SpanName, count() FROM otel_traces GROUP BY SpanName")
    return dict(rows.result_rows)


def test_records_come_back_in_order_across_segments(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, segment_bytes=600)
    payloads = log_requests(wal, 12)
    records = list(iter_records(wal, wal.checkpoint.committed))
    assert [r.payload for r in records] == payloads
    assert len({r.position.segment for r in records}) > 1
    assert [r.rejected for r in records] == [n % 2 for n in range(12)]
    wal.close()


def test_a_torn_tail_is_cut_and_digests_survive_a_restart(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path)
    payloads = log_requests(wal, 3)
    wal.close()
    segment = sorted(tmp_path.glob("segment-*.wal"))[-1]
    with open(segment, "ab") as handle:
        handle.write(b"\x10\x00\x00\x00partial")  # the process died mid-append
    reopened = WriteAheadLog(tmp_path)
    assert [r.payload for r in iter_records(reopened, reopened.checkpoint.committed)] == payloads
    assert reopened.seen(body_digest(payloads[1])) == 1
    assert reopened.seen(body_digest(b"never logged")) is None
    assert reopened.backlog()[0] == 3
    reopened.close()


def test_crash_after_insert_before_commit_stores_the_block_once(
    tmp_path: Path, ch_client: Client
) -> None:
    wal = WriteAheadLog(tmp_path)
    log_requests(wal, 4)
    records = wal.read(wal.checkpoint.committed, max_spans=6)
    start, end = records[0].position, records[-1].end
    # what the drainer does, stopped by a crash between the insert and the commit
    wal.begin(start, end)
    columns = flatten_request(
        ExportTraceServiceRequest.FromString(b"".join(r.payload for r in records))
    )
    ClickHouseSpanWriter(ch_client).write(columns, f"{wal.instance_id}:{start}-{end}")
    wal.close()

    restarted = WriteAheadLog(tmp_path)
    assert restarted.checkpoint.pending == (start, end)
    drainer = WalDrainer(restarted, ClickHouseSpanWriter(ch_client), StorageHealth(), linger_s=0)
    drainer.start()
    assert drainer.wait_idle(20)
    drainer.stop(1)
    counts = span_counts(ch_client)
    assert len(counts) == 12 and set(counts.values()) == {1}
    assert restarted.checkpoint.pending is None
    assert restarted.checkpoint.committed == restarted.durable_end


def test_crash_after_announcing_a_block_but_before_inserting_stores_it(
    tmp_path: Path, ch_client: Client
) -> None:
    wal = WriteAheadLog(tmp_path)
    log_requests(wal, 2)
    records = wal.read(wal.checkpoint.committed, max_spans=100)
    wal.begin(records[0].position, records[-1].end)
    wal.close()
    restarted = WriteAheadLog(tmp_path)
    drainer = WalDrainer(restarted, ClickHouseSpanWriter(ch_client), StorageHealth(), linger_s=0)
    drainer.start()
    assert drainer.wait_idle(20)
    drainer.stop(1)
    assert sorted(span_counts(ch_client).items()) == [
        (f"r{n}-{i}", 1) for n in range(2) for i in range(3)
    ]


def test_commit_removes_finished_segments_and_the_backlog_empties(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, segment_bytes=400)
    log_requests(wal, 10)
    assert len(list(tmp_path.glob("segment-*.wal"))) > 2
    wal.commit(wal.durable_end)
    assert wal.backlog() == (0, 0, 0.0)
    assert len(list(tmp_path.glob("segment-*.wal"))) == 1
    assert wal.checkpoint.committed == wal.durable_end
    assert wal.read(wal.durable_end, max_spans=10) == []
    wal.close()
    assert WriteAheadLog(tmp_path).checkpoint.committed == Position(
        wal.durable_end.segment, wal.durable_end.offset
    )


def test_a_checkpoint_from_the_json_era_is_read_once_and_replaced(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path)
    log_requests(wal, 3)
    second = wal.read(wal.checkpoint.committed, max_spans=3)[0].end
    wal.close()
    (tmp_path / "checkpoint.slots").unlink()
    (tmp_path / "checkpoint.json").write_text(
        f'{{"committed": [{second.segment}, {second.offset}], "pending": null}}'
    )
    upgraded = WriteAheadLog(tmp_path)
    assert upgraded.checkpoint.committed == second
    assert not (tmp_path / "checkpoint.json").exists()
    assert len(list(iter_records(upgraded, upgraded.checkpoint.committed))) == 2
    upgraded.close()
    assert WriteAheadLog(tmp_path).checkpoint.committed == second


def test_a_torn_checkpoint_save_falls_back_to_the_one_before(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path)
    log_requests(wal, 2)
    first = wal.read(wal.checkpoint.committed, max_spans=3)[0].end
    wal.commit(first)
    wal.begin(first, wal.durable_end)  # the newest save, torn below by a crash mid-write
    wal.close()
    slots = bytearray((tmp_path / "checkpoint.slots").read_bytes())
    newest = max(range(2), key=lambda i: int.from_bytes(slots[i * 64 : i * 64 + 8], "little"))
    slots[newest * 64 + 20] ^= 0xFF
    (tmp_path / "checkpoint.slots").write_bytes(bytes(slots))
    reopened = WriteAheadLog(tmp_path)
    assert reopened.checkpoint.committed == first and reopened.checkpoint.pending is None
    reopened.close()
