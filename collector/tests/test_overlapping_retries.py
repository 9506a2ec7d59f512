"""Copies of one body in flight at once (a client retrying on timeout) are stored once."""

from __future__ import annotations

import threading

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from gapwatch.collector.testing import make_request, make_span

PROTOBUF = {"content-type": "application/x-protobuf"}
COPIES = 4
BODIES = 30
SPANS = 400


def test_the_same_body_on_several_connections_at_once_is_stored_once(server) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{server.http_port}/v1/traces"
    answers: list[tuple[int, int]] = []  # (HTTP status, rejected spans reported)
    lock = threading.Lock()
    clients = [httpx.Client(timeout=30) for _ in range(COPIES)]
    try:
        for body_number in range(BODIES):
            spans = [make_span(f"body{body_number}-{i}") for i in range(SPANS)]
            # one span rejected, so every copy must report the first copy's partial success
            spans.append(make_span("invalid", trace_id=bytes(16)))
            body = make_request(spans).SerializeToString()
            start = threading.Barrier(COPIES)

            def send(
                client: httpx.Client, body: bytes = body, start: threading.Barrier = start
            ) -> None:
                start.wait()
                response = client.post(url, content=body, headers=PROTOBUF)
                with lock:
                    rejected = ExportTraceServiceResponse.FromString(
                        response.content
                    ).partial_success
                    answers.append((response.status_code, rejected.rejected_spans))

            threads = [threading.Thread(target=send, args=(client,)) for client in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
    finally:
        for client in clients:
            client.close()
    assert len(answers) == COPIES * BODIES
    # every copy gets the first one's answer, its partial success included
    assert set(answers) == {(200, 1)}
    assert server.wait_stored(30)
    rows = server.client.query("SELECT SpanName, count() FROM otel_traces GROUP BY SpanName")
    counts = dict(rows.result_rows)
    assert len(counts) == BODIES * SPANS
    doubled = {name: n for name, n in counts.items() if n > 1}
    assert not doubled, f"{len(doubled)} spans stored more than once"
    metrics = httpx.get(f"http://127.0.0.1:{server.http_port}/metrics", timeout=10).text
    expected = f"gapwatch_collector_duplicate_requests_total {float((COPIES - 1) * BODIES)}"
    assert expected in metrics
