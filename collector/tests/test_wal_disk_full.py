"""The write-ahead log on a full disk: 503 and Retry-After, never 500, nothing acknowledged lost.

The WAL lives on a real, small tmpfs, filled up with a plain file while clients send; the
engine's own data stays elsewhere, as when only the collector's data directory runs out of room.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from gapwatch.collector.pipeline import body_digest
from gapwatch.collector.testing import make_request, make_span
from gapwatch.collector.wal import Position, WalUnavailable, WriteAheadLog, iter_records

PROTOBUF = {"content-type": "application/x-protobuf"}
TMPFS_BYTES = 2 * 2**20
METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (mounting needs root, as in CI); unmounted at teardown."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path, leave_bytes: int = 0) -> Path:
    """Take all free space of ``disk`` but ``leave_bytes`` (rounded to pages by tmpfs)."""
    filler = disk / "filler"
    with open(filler, "ab") as handle:
        free = shutil.disk_usage(disk).free - leave_bytes
        try:
            handle.write(b"\0" * max(free, 0))
            handle.flush()
            while shutil.disk_usage(disk).free > leave_bytes:
                handle.write(b"\0" * 4096)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def request_body(name: str, spans: int = 40) -> bytes:
    spans_list = [make_span(f"{name}-{i}", attributes={"pad": "x" * 200}) for i in range(spans)]
    return make_request(spans_list).SerializeToString()


def stored_names(server) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = server.client.query("SELECT SpanName, count() FROM otel_traces GROUP BY SpanName")
    return dict(rows.result_rows)


def test_a_full_wal_disk_answers_503_and_loses_nothing_acknowledged(
    small_disk: Path, make_server
) -> None:  # type: ignore[no-untyped-def]
    server = make_server(wal_dir=small_disk / "wal")
    url = f"http://127.0.0.1:{server.http_port}/v1/traces"
    acknowledged: set[str] = set()
    sent = 0

    def send(client: httpx.Client, name: str) -> httpx.Response:
        nonlocal sent
        body = request_body(name)
        sent += 1
        response = client.post(url, content=body, headers=PROTOBUF)
        if response.status_code == 200:
            acknowledged.update(f"{name}-{i}" for i in range(40))
        return response

    with httpx.Client(timeout=30) as client:
        for n in range(5):
            assert send(client, f"before{n}").status_code == 200
        # the drainer is idle (its block file, also on this disk, is gone), so nothing frees
        # space behind the test's back; ~6 KiB free: the next record (~12 KiB) is written in
        # part, then the disk is full
        assert server.wait_stored(20)
        filler = fill(small_disk, leave_bytes=6 * 1024)
        answers = [send(client, f"full{n}") for n in range(20)]
        codes = {response.status_code for response in answers}
        assert codes == {503}, [r.text for r in answers if r.status_code != 503][:3]
        assert all(int(r.headers["retry-after"]) >= 1 for r in answers)
        ready = client.get(f"http://127.0.0.1:{server.http_port}/readyz")
        assert ready.status_code == 503 and "write-ahead log" in ready.text
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            call = channel.unary_unary(
                METHOD,
                request_serializer=None,
                response_deserializer=ExportTraceServiceResponse.FromString,
            )
            with pytest.raises(grpc.RpcError) as failure:
                call(request_body("grpc-full"), timeout=30)
            assert failure.value.code() == grpc.StatusCode.UNAVAILABLE

        filler.unlink()  # space comes back: the log takes records again, without a restart
        # and says so before any client tries (an unready collector gets no traffic)
        assert client.get(f"http://127.0.0.1:{server.http_port}/readyz").status_code == 200
        for n in range(20):
            assert send(client, f"after{n}").status_code == 200
        assert client.get(f"http://127.0.0.1:{server.http_port}/readyz").status_code == 200

    assert server.wait_stored(60), "the backlog never drained after space came back"
    counts = stored_names(server)
    assert set(counts) == acknowledged, "acknowledged spans missing, or unacknowledged stored"
    assert max(counts.values()) == 1
    assert len(acknowledged) == 25 * 40


def test_concurrent_senders_on_a_full_disk_never_get_500_and_lose_nothing(
    small_disk: Path, make_server
) -> None:  # type: ignore[no-untyped-def]
    # the drainer keeps freeing space while senders fill it, so appends fail at random points
    server = make_server(wal_dir=small_disk / "wal")
    url = f"http://127.0.0.1:{server.http_port}/v1/traces"
    acknowledged: set[str] = set()
    codes: list[int] = []
    lock = threading.Lock()

    def sender(worker: int) -> None:
        with httpx.Client(timeout=30) as client:
            for batch in range(30):
                name = f"w{worker}b{batch}"
                body = request_body(name, spans=20)
                for _ in range(300):  # retry as exporters do, bounded
                    response = client.post(url, content=body, headers=PROTOBUF)
                    with lock:
                        codes.append(response.status_code)
                    if response.status_code == 200:
                        with lock:
                            acknowledged.update(f"{name}-{i}" for i in range(20))
                        break
                    time.sleep(0.01)

    filler = fill(small_disk, leave_bytes=64 * 1024)
    threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    filler.unlink()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert set(codes) <= {200, 503}, sorted(set(codes))
    assert 503 in codes, "the disk never filled up"
    assert server.wait_stored(60)
    counts = stored_names(server)
    assert set(counts) == acknowledged and len(acknowledged) == 4 * 30 * 20
    assert max(counts.values()) == 1


def test_a_failed_append_leaves_no_torn_record_behind(small_disk: Path) -> None:
    wal = WriteAheadLog(small_disk / "wal", segment_max_age_s=3600)
    kept = [request_body(f"kept{n}") for n in range(3)]
    for payload in kept:
        wal.sync(wal.append(payload, body_digest(payload), 0, 40))
    filler = fill(small_disk, leave_bytes=6 * 1024)
    lost = request_body("lost")
    with pytest.raises(WalUnavailable):
        wal.append(lost, body_digest(lost), 0, 40)
    assert "write-ahead log" in wal.problem
    assert wal.seen(body_digest(lost)) is None  # a retry is not mistaken for a duplicate
    assert "No space left" in wal.recheck()  # still full for a record of that size
    filler.unlink()
    assert wal.recheck() == ""  # space is back, before anything is appended
    later = request_body("later")
    wal.sync(wal.append(later, body_digest(later), 0, 40))
    assert wal.problem == ""
    assert [r.payload for r in iter_records(wal, Position(0, 0))] == [*kept, later]
    wal.close()
    reopened = WriteAheadLog(small_disk / "wal")
    assert [r.payload for r in iter_records(reopened, Position(0, 0))] == [*kept, later]
    reopened.close()


def test_a_failed_fsync_acknowledges_none_of_what_it_covered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a real failing fsync needs a failing device; the kernel's answer is injected instead
    wal = WriteAheadLog(tmp_path / "wal", segment_max_age_s=3600)
    first = request_body("first")
    wal.sync(wal.append(first, body_digest(first), 0, 40))
    doomed = request_body("doomed")
    position = wal.append(doomed, body_digest(doomed), 0, 40)
    real_fsync = os.fsync

    def failing_fsync(descriptor: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(WalUnavailable):
        wal.sync(position)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert wal.seen(body_digest(doomed)) is None
    with pytest.raises(WalUnavailable):
        wal.sync(position)  # asking again never turns a given-up record into a durable one
    after = request_body("after")
    after_position = wal.append(after, body_digest(after), 0, 40)
    wal.sync(after_position)
    assert after_position.segment > position.segment  # positions are never handed out twice
    assert [r.payload for r in iter_records(wal, Position(0, 0))] == [first, after]
    wal.close()
    reopened = WriteAheadLog(tmp_path / "wal")
    assert [r.payload for r in iter_records(reopened, Position(0, 0))] == [first, after]
    reopened.close()
