"""Memory is bounded by a budget, not by input: requests that do not fit get 429 + Retry-After,
the drainer goes first, and a burst of huge requests keeps a real collector under its budget."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import httpx
import pytest

from gapwatch.collector.admission import (
    REQUESTS_SHARE,
    MemoryAdmission,
    MemoryExhausted,
    release_free_memory,
)
from gapwatch.collector.testing import free_port, make_request, make_span, peak_resident_mib

PROTOBUF = {"content-type": "application/x-protobuf"}
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def test_reservations_refuse_beyond_the_pool_and_give_everything_back() -> None:
    admission = MemoryAdmission(100)
    with admission.reservation() as first:
        first.grow(60)
        with pytest.raises(MemoryExhausted), admission.reservation() as second:
            second.grow(30)
            second.grow(30)  # 60 + 30 + 30 > 100
        assert admission.in_flight == 60
    assert admission.in_flight == 0


def test_a_request_larger_than_the_pool_is_admitted_alone() -> None:
    admission = MemoryAdmission(100)
    with admission.reservation() as huge:
        huge.grow(10_000)
        assert admission.in_flight == 100
        with pytest.raises(MemoryExhausted), admission.reservation() as other:
            other.grow(1)
    assert admission.in_flight == 0


def test_the_drainer_waits_ahead_of_new_requests() -> None:
    admission = MemoryAdmission(100)
    stopping = threading.Event()
    held = admission.reservation()
    held.grow(80)
    taken: list[int] = []
    drainer = threading.Thread(target=lambda: taken.append(admission.take_waiting(50, stopping)))
    drainer.start()
    time.sleep(0.2)
    assert not taken, "the drainer must wait while the pool is taken"
    with pytest.raises(MemoryExhausted), admission.reservation() as newcomer:
        newcomer.grow(10)  # would fit, but the waiting drainer goes first
    held.__exit__(None, None, None)
    drainer.join(timeout=5)
    assert taken == [50] and admission.in_flight == 50


def test_requests_keep_a_share_of_the_pool_while_the_drainer_stores_a_huge_block() -> None:
    admission = MemoryAdmission(800)
    taken = admission.take_waiting(10_000, threading.Event())  # a block estimated past the pool
    assert taken == 800 - 800 // REQUESTS_SHARE
    with admission.reservation() as ordinary:
        ordinary.grow(800 // REQUESTS_SHARE)  # an ordinary request still gets in meanwhile
        with pytest.raises(MemoryExhausted), admission.reservation() as more:
            more.grow(1)
    admission.give_back(taken)
    assert admission.in_flight == 0


def test_a_full_budget_answers_429_with_retry_after_on_both_transports(make_server) -> None:
    server = make_server()
    pool = server.admission.pool_bytes
    assert server.admission.try_take(pool)  # as if requests in flight held all of it
    body = make_request([make_span("waits its turn")]).SerializeToString()
    url = f"http://127.0.0.1:{server.http_port}/v1/traces"
    try:
        response = httpx.post(url, content=body, headers=PROTOBUF, timeout=10)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            export = channel.unary_unary(EXPORT)
            with pytest.raises(grpc.RpcError) as refused:
                export(body, timeout=10)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        metrics = httpx.get(f"http://127.0.0.1:{server.http_port}/metrics", timeout=10).text
        assert 'gapwatch_collector_throttled_requests_total{reason="memory"} 2.0' in metrics
    finally:
        server.admission.give_back(pool)
    assert httpx.post(url, content=body, headers=PROTOBUF, timeout=10).status_code == 200
    assert server.wait_stored(20)


def test_a_refused_upload_is_read_to_its_end_so_the_client_gets_the_answer(make_server) -> None:
    server = make_server()
    pool = server.admission.pool_bytes
    assert server.admission.try_take(pool)
    body = make_request([make_span("big", attributes={"v": "x" * 4 * 2**20})])
    try:
        with httpx.Client(timeout=30) as client:
            for _ in range(3):  # and the connection stays usable
                response = client.post(
                    f"http://127.0.0.1:{server.http_port}/v1/traces",
                    content=body.SerializeToString(),
                    headers=PROTOBUF,
                )
                assert response.status_code == 429
    finally:
        server.admission.give_back(pool)


# --- the burst, against a real collector process, measuring its peak resident memory ------

BUDGET_MIB = 1024
BURST = 16
KEY_BYTES = 19 * 2**20




def test_a_burst_of_huge_requests_stays_under_the_memory_budget(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "collector.log"
    command = [
        sys.executable,
        "-m",
        "gapwatch.collector.cli",
        "--data-dir",
        str(tmp_path / "data"),
        "--otlp-http-port",
        str(port),
        "--otlp-grpc-port",
        "-1",
        "--memory-budget-mib",
        str(BUDGET_MIB),
    ]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        answers: list[int] = []

        def send(number: int) -> None:
            key = f"k{number:02d}" * (KEY_BYTES // 3)
            body = make_request([make_span(f"big-{number}", attributes={key: "v"})])
            payload = body.SerializeToString()
            del body, key
            with httpx.Client(base_url=base, timeout=120) as client:
                for _ in range(300):  # bounded retries, honouring Retry-After (scaled down)
                    response = client.post("/v1/traces", content=payload, headers=PROTOBUF)
                    answers.append(response.status_code)
                    if response.status_code == 200:
                        return
                    assert response.status_code in (429, 503), response.text
                    time.sleep(int(response.headers["retry-after"]) / 5)

        senders = [threading.Thread(target=send, args=(n,)) for n in range(BURST)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=300)
        assert answers.count(200) == BURST, answers
        assert 429 in answers, "the burst never met the budget: the test proves nothing"
        stored = 0
        deadline = time.monotonic() + 120
        while stored < BURST and time.monotonic() < deadline:
            metrics = httpx.get(f"{base}/metrics", timeout=10).text
            line = next(
                x
                for x in metrics.splitlines()
                if x.startswith("gapwatch_collector_spans_stored_total")
            )
            stored = int(float(line.split()[-1]))
            time.sleep(0.25)
        assert stored == BURST
        peak = peak_resident_mib(process.pid)
        print(f"peak resident memory {peak:.0f} MiB for a {BUDGET_MIB} MiB budget")
        assert peak <= BUDGET_MIB, f"peak {peak:.0f} MiB over the {BUDGET_MIB} MiB budget"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_freed_memory_is_handed_back_by_the_embedded_engine_and_libc(
    ch_client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="gapwatch.collector.admission")
    release_free_memory(ch_client)
    release_free_memory(None)  # a ClickHouse server's memory is not ours to purge
    assert "cannot purge" not in caplog.text
