"""The proposal commands as a user runs them: subprocesses on their own chDB directory, directly
on the store and through a running `gapwatch serve` found via its serve.json."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

GAPWATCH = [sys.executable, "-m", "gapwatch.analyzer.cli"]
FACTORIES = Path(__file__).parents[1] / "proposals"
SEED = textwrap.dedent("""
    import sys
    sys.path.insert(0, {factories!r})
    from proposal_factories import make_finding
    from gapwatch.analyzer.analysis import Analyzer
    from gapwatch.analyzer.settings import Settings
    from gapwatch.analyzer.store import open_store
    store = open_store(Settings(data_dir={data!r}))
    findings = [make_finding(tool="search"), make_finding(tool="fetch", priority="low")]
    Analyzer(store, detect=lambda context: findings).run()
    store.close()
""")


def gapwatch(*args: str, data: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GAPWATCH_DATA_DIR": str(data), "GAPWATCH_API_URL": ""}
    result = subprocess.run([*GAPWATCH, *args], capture_output=True, text=True, env=env,
                            timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-c", SEED.format(factories=str(FACTORIES), data=str(data))],
                   check=True, timeout=120)
    return data


def test_list_show_and_decide_directly_on_the_store_when_no_server_runs(seeded: Path) -> None:
    table = gapwatch("proposals", "list", data=seeded).stdout.splitlines()
    assert table[0].split() == ["ID", "PRIORITY", "STATUS", "DETECTOR", "EVIDENCE", "TITLE"]
    assert [line.split()[1] for line in table[1:]] == ["high", "low"]
    listed = json.loads(gapwatch("proposals", "list", "--priority", "high", "--json",
                                 data=seeded).stdout)
    (proposal,) = listed["proposals"]
    pid = proposal["id"]

    refused = gapwatch("proposals", "implemented", pid, data=seeded, check=False)
    assert refused.returncode == 1 and "approve" in refused.stderr
    assert "cannot mark as implemented a proposal that is open" in refused.stderr

    approved = gapwatch("proposals", "approve", pid, "--reason", "cheap fix", data=seeded)
    assert approved.stdout.startswith(f"{pid} is now approved")
    shown = gapwatch("proposals", "show", pid, data=seeded).stdout
    assert "status      approved" in shown and "cheap fix" in shown and "cli:" in shown
    detail = json.loads(gapwatch("proposals", "show", pid, "--json", data=seeded).stdout)
    assert [h["to_status"] for h in detail["history"]] == ["open", "approved"]
    missing = gapwatch("proposals", "show", "nope", data=seeded, check=False)
    assert missing.returncode == 1 and "Proposal not found" in missing.stderr

    report = gapwatch("report", "--window", "1d", data=seeded).stdout
    assert report.startswith("# Agent performance review") and "search fails" in report


@pytest.fixture
def served(seeded: Path) -> Iterator[Path]:
    env = {**os.environ, "GAPWATCH_ANALYSIS_INTERVAL_MINUTES": "0"}
    process = subprocess.Popen(
        [*GAPWATCH, "serve", "--data-dir", str(seeded), "--api-port", "0", "--no-collector"],
        stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    stderr = process.stderr
    assert stderr is not None
    threading.Thread(target=lambda: [lines.put(line) for line in stderr], daemon=True).start()
    deadline, seen = time.monotonic() + 90, ""
    while "gapwatch API listening" not in seen:
        try:
            seen = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            pytest.fail("gapwatch serve did not start")
    try:
        yield seeded
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


def test_commands_go_through_the_api_when_serve_holds_the_store(served: Path) -> None:
    listed: dict[str, Any] = json.loads(gapwatch("proposals", "list", "--json",
                                                 data=served).stdout)
    assert len(listed["proposals"]) == 2
    pid = listed["proposals"][0]["id"]
    snoozed = json.loads(gapwatch("proposals", "snooze", pid, "--until", "2099-01-01",
                                  "--json", data=served).stdout)
    assert snoozed["status"] == "snoozed" and snoozed["snoozed_until"].startswith("2099-01-01")
    # the help text's promise: the user's name, and through the API who the server saw
    actor = snoozed["history"][-1]["actor"]
    assert actor.startswith("cli:") and "(anonymous@127.0.0.1)" in actor
    run = json.loads(gapwatch("analyze", "--dry-run", "--json", data=served).stdout)
    assert run["dry_run"] is True
    # commands that must open the store themselves say who holds it, in one line
    for command in (["init-db", "--clickhouse-url", f"chdb://{served / 'chdb'}"],
                    ["demo", "--data-dir", str(served), "--no-serve"]):
        refused = gapwatch(*command, data=served, check=False)
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.count("\n") == 1 and "gapwatch serve (pid" in refused.stderr
        assert "stop it first" in refused.stderr


def test_report_comes_from_the_api_and_a_named_store_is_kept_while_serve_runs(
    served: Path, tmp_path: Path
) -> None:
    advertised = json.loads((served / "serve.json").read_text())
    out = served.parent / "review.html"
    written = gapwatch("report", "--format", "html", "--out", str(out), data=served)
    assert written.stdout.strip() == f"wrote {out}"
    page = out.read_text()
    assert "search fails" in page
    # rendered by the server: its sample traces link to that server's trace view
    assert f'href="{advertised["api_url"]}/traces/' in page

    # an explicit --clickhouse-url is never swapped for the running server's store
    other = f"chdb://{tmp_path / 'other' / 'chdb'}"
    listed = gapwatch("proposals", "list", "--clickhouse-url", other, data=served)
    assert listed.stdout.strip() == "no proposals match"  # the empty store that was named
    report = gapwatch("report", "--clickhouse-url", other, data=served).stdout
    assert "No proposals yet" in report
    # naming the store the server holds goes through the server (chDB would refuse a second
    # process), however the URL is spelled
    same = f"chdb://{served / 'chdb'}/../chdb?database=default"
    listed = json.loads(gapwatch("proposals", "list", "--clickhouse-url", same, "--json",
                                 data=served).stdout)
    assert len(listed["proposals"]) == 2


def test_serve_names_the_flag_to_change_when_a_port_is_taken(tmp_path: Path) -> None:
    for flag in ("--otlp-grpc-port", "--otlp-http-port", "--api-port"):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            ports = {"--otlp-grpc-port": "0", "--otlp-http-port": "0", "--api-port": "0",
                     flag: port}
            result = subprocess.run(
                [*GAPWATCH, "serve", "--data-dir", str(tmp_path / "data"),
                 *[part for item in ports.items() for part in item]],
                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"port {port} on 127.0.0.1" in lines[0] and f"choose another with {flag}" in lines[0]


def test_serve_stops_on_ctrl_c_that_comes_right_as_it_announces_itself(tmp_path: Path) -> None:
    """Ctrl-C right after the "listening" line, before uvicorn has its own handlers, once
    hung the demo's server for good."""
    process = subprocess.Popen(
        [*GAPWATCH, "serve", "--data-dir", str(tmp_path / "data"), "--api-port", "0",
         "--no-collector"], stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GAPWATCH_ANALYSIS_INTERVAL_MINUTES": "0"})
    assert process.stderr is not None
    for line in process.stderr:
        if "gapwatch API listening" in line:
            process.send_signal(signal.SIGINT)
            break
    try:
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
    assert not (tmp_path / "data" / "serve.json").exists()
