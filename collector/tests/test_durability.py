"""A 2xx means durable: kill -9 the collector repeatedly while a retrying client sends.

Afterwards every acknowledged span must be in ClickHouse exactly once. The collector runs as a
real ``gapwatch-collector`` process on its own chDB directory; ClickHouse is read afterwards
from another process, because chDB lets one process hold a data directory.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from gapwatch.collector.testing import collector_command, free_port, make_request, make_span

BATCHES = 80
SPANS_PER_BATCH = 40
KILLS = 6



def start_collector(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as output:
        return subprocess.Popen(collector_command(data_dir, port), stdout=output,
                                stderr=subprocess.STDOUT)


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "collector exited during start-up"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("collector did not become healthy")


def stored_span_ids(data_dir: Path) -> dict[str, int]:
    script = (
        "import json, sys\n"
        "from gapwatch.collector import connect, default_store_url\n"
        "client = connect(default_store_url(sys.argv[1]))\n"
        "rows = client.query('SELECT SpanId, count() FROM otel_traces GROUP BY SpanId')\n"
        "print(json.dumps(dict(rows.result_rows)))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script, str(data_dir)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    counts: dict[str, int] = json.loads(output.stdout)
    return counts


def test_kill_9_while_a_retrying_client_sends_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    log = tmp_path / "collector.log"
    acknowledged: set[str] = set()
    done = threading.Event()
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(timeout=10) as http:
            for batch in range(BATCHES):
                spans = [make_span(f"b{batch}") for _ in range(SPANS_PER_BATCH)]
                body = make_request(spans).SerializeToString()
                deadline = time.monotonic() + 90
                while True:  # retry until acknowledged, as OTLP exporters do
                    if time.monotonic() > deadline:
                        failures.append(f"batch {batch} never acknowledged")
                        return
                    try:
                        response = http.post(
                            f"http://127.0.0.1:{port}/v1/traces",
                            content=body,
                            headers={"content-type": "application/x-protobuf"},
                        )
                    except httpx.HTTPError:
                        time.sleep(0.05)
                        continue
                    if response.status_code == 200:
                        acknowledged.update(span.span_id.hex() for span in spans)
                        break
                    time.sleep(0.05)
                # exporters send on a schedule, not in a tight loop; this also keeps the
                # number of kills independent of how fast the machine is
                time.sleep(0.02)
        done.set()

    process = start_collector(data_dir, port, log)
    wait_healthy(port, process)
    sender = threading.Thread(target=client)
    sender.start()
    kills = 0
    pause = random.Random(7)  # kill at varied moments relative to the traffic
    while kills < KILLS and not done.is_set():
        # let some batches through, then kill without warning
        target = len(acknowledged) + SPANS_PER_BATCH * 3
        deadline = time.monotonic() + 30
        while len(acknowledged) < target and not done.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(pause.uniform(0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        process = start_collector(data_dir, port, log)
        wait_healthy(port, process)
    sender.join(timeout=180)
    assert not sender.is_alive() and not failures, failures
    assert kills == KILLS, "the client finished before the collector could be killed enough"

    process.send_signal(signal.SIGTERM)  # graceful stop stores the backlog
    assert process.wait(timeout=60) == 0, log.read_text()[-2000:]

    stored = stored_span_ids(data_dir)
    assert len(acknowledged) == BATCHES * SPANS_PER_BATCH
    missing = acknowledged - set(stored)
    duplicated = {span_id: n for span_id, n in stored.items() if n > 1}
    assert not missing, f"{len(missing)} acknowledged spans lost"
    assert not duplicated, f"{len(duplicated)} spans stored more than once"
    assert set(stored) == acknowledged
    assert "Traceback" not in log.read_text()
    assert os.path.exists(data_dir / "wal" / "checkpoint.slots")
