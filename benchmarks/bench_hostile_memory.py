"""Hostile-input memory benchmark: a collector under a run of hostile requests without pauses.

    .venv/bin/python benchmarks/bench_hostile_memory.py [--seconds 60] [--senders 8]
        [--budget-mib 1024] [--kinds huge-key,gzip-inflating,wide,extreme,small]

A real ``gapwatch-collector`` process (its own data directory, OTLP/HTTP on loopback) takes,
from several sender threads at once and with no pause between requests: bodies with a 19 MiB
attribute key, gzip bodies that inflate to just under the size cap, requests of a thousand
spans each with 200 attributes, spans with every field at its type's extremes, and plain small
requests. Every body is unique (a counter is written into a fixed-width span name, or sent as
a first gzip member), so none is answered from the duplicate check. Senders honour nothing but
their own loop: a 429 is simply followed by the next request. It prints the answers by status
and the collector's peak resident memory (``VmHWM``) against its memory budget, then waits
until the backlog is stored; it exits 1 when the peak is over the budget.
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from gapwatch.collector.testing import (
    collector_command,
    free_port,
    make_request,
    make_span,
    peak_resident_mib,
)

PROTOBUF = {"content-type": "application/x-protobuf"}
UNIQUE = b"unique-000000000000"  # a span name every body carries, rewritten per request




KINDS = ("huge-key", "gzip-inflating", "wide", "extreme", "small")


def hostile_bodies() -> dict[str, tuple[bytes, dict[str, str]]]:
    name = UNIQUE.decode()
    huge_key = make_request([make_span(name, attributes={"k" * (19 * 2**20): "v"})])
    inflating = make_request([make_span("inflates", attributes={"z": "\0" * (19 * 2**20)})])
    wide = make_request(
        [make_span(name)]
        + [
            make_span(f"wide-{i}", attributes={f"a{j}": "x" * 64 for j in range(200)})
            for i in range(1000)
        ]
    )
    extreme = make_span(name, attributes={"i": -(2**63), "d": float("nan"), "b": b"\xff"})
    extreme.trace_state = "t" * 100_000
    event = extreme.events.add()
    event.time_unix_nano = 2**64 - 1
    small = make_request([make_span(name)])
    gzip_headers = {**PROTOBUF, "content-encoding": "gzip"}
    return {
        "huge-key": (huge_key.SerializeToString(), PROTOBUF),
        "gzip-inflating": (gzip.compress(inflating.SerializeToString()), gzip_headers),
        "wide": (wide.SerializeToString(), PROTOBUF),
        "extreme": (make_request([extreme]).SerializeToString(), PROTOBUF),
        "small": (small.SerializeToString(), PROTOBUF),
    }


def unique(body: bytes, headers: dict[str, str], number: int) -> bytes:
    stamp = f"unique-{number:012d}".encode()
    if headers.get("content-encoding") == "gzip":
        # a first member of its own: concatenated requests merge (RFC 1952 multi-member)
        return gzip.compress(make_request([make_span(stamp.decode())]).SerializeToString()) + body
    return body.replace(UNIQUE, stamp, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--budget-mib", type=int, default=1024)
    parser.add_argument("--kinds", default=",".join(KINDS), help="which bodies to mix")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="gapwatch-hostile-"))
    port = free_port()
    command = collector_command(data_dir, port, "--memory-budget-mib", str(args.budget_mib))
    log = open(data_dir / "collector.log", "wb")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    answers: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        every_body = hostile_bodies()
        bodies = [every_body[kind] for kind in args.kinds.split(",")]
        sent = [0] * args.senders
        stop_at = time.monotonic() + args.seconds

        def send(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=base, timeout=120) as client:
                while time.monotonic() < stop_at:
                    body, headers = rng.choice(bodies)
                    body = unique(body, headers, seed * 10**9 + sent[seed])
                    sent[seed] += 1
                    try:
                        status = client.post(
                            "/v1/traces", content=body, headers=headers
                        ).status_code
                        answers[str(status)] += 1
                    except httpx.HTTPError as error:
                        answers[type(error).__name__] += 1

        senders = [threading.Thread(target=send, args=(n,)) for n in range(args.senders)]
        began = time.monotonic()
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        sent_s = time.monotonic() - began
        drain_deadline = time.monotonic() + 300
        while time.monotonic() < drain_deadline:
            metrics = httpx.get(f"{base}/metrics", timeout=10).text
            if "gapwatch_collector_queue_records 0.0" in metrics:
                break
            time.sleep(0.5)
        peak = peak_resident_mib(process.pid)
        print(
            f"hostile run ({args.kinds}): {args.senders} senders for {sent_s:.0f} s, "
            f"answers {dict(answers)}"
        )
        print(
            f"peak resident memory {peak:.0f} MiB for a {args.budget_mib} MiB budget "
            f"({'within' if peak <= args.budget_mib else 'OVER'}); "
            f"backlog stored {time.monotonic() - began - sent_s:.0f} s after the last request"
        )
        return 0 if peak <= args.budget_mib else 1
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
