"""Storage goes away under load: the collector keeps what it acknowledged and drains afterwards."""

from __future__ import annotations

import threading
import time

import httpx

from gapwatch.collector.testing import make_request, make_span

PROTOBUF = {"content-type": "application/x-protobuf"}


def test_storage_outage_under_load_loses_nothing_acknowledged_and_drains(make_server) -> None:
    # a small queue, so the outage also shows the 503 path
    server = make_server(max_backlog_bytes=40_000)
    url = f"http://127.0.0.1:{server.http_port}/v1/traces"
    acknowledged: set[str] = set()
    answers: list[int] = []
    stop_sending = threading.Event()

    def send(worker: int) -> None:
        with httpx.Client(timeout=30) as client:
            for batch in range(40):
                spans = [make_span(f"w{worker}-b{batch}-s{i}") for i in range(50)]
                body = make_request(spans).SerializeToString()
                for _ in range(200):  # bounded retries, honouring Retry-After (capped for speed)
                    response = client.post(url, content=body, headers=PROTOBUF)
                    answers.append(response.status_code)
                    if response.status_code == 200:
                        acknowledged.update(span.name for span in spans)
                        break
                    assert response.status_code in (429, 503), response.text
                    assert "retry-after" in response.headers
                    time.sleep(min(int(response.headers["retry-after"]), 1) / 10)
                if stop_sending.is_set():
                    return

    senders = [threading.Thread(target=send, args=(n,)) for n in range(3)]
    for sender in senders:
        sender.start()
    time.sleep(0.3)
    server.client.command("DETACH TABLE otel_traces")  # ClickHouse now refuses every insert
    deadline = time.monotonic() + 20
    while server.health.available and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not server.health.available, "the drainer never noticed the outage"
    ready = httpx.get(f"http://127.0.0.1:{server.http_port}/readyz", timeout=10)
    assert ready.status_code == 503 and "storage unavailable" in ready.text
    time.sleep(1.0)  # keep the outage up while senders fill the queue
    server.client.command("ATTACH TABLE otel_traces")
    for sender in senders:
        sender.join(timeout=120)
    assert not any(sender.is_alive() for sender in senders)
    assert server.wait_stored(60)

    assert 503 in answers, "the full queue during the outage never answered 503"
    assert only_retryable_failures(answers)
    stored = server.client.query("SELECT SpanName, count() FROM otel_traces GROUP BY SpanName")
    counts = dict(stored.result_rows)
    assert set(counts) == acknowledged, "acknowledged spans missing (or unacknowledged stored)"
    assert max(counts.values()) == 1, "a span was stored twice"
    assert server.health.available


def only_retryable_failures(answers: list[int]) -> bool:
    return all(code in (200, 429, 503) for code in answers)
