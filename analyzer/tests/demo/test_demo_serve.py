"""``gapwatch demo --serve``: the demo ends with the UI and API serving its data until Ctrl-C."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

READY = re.compile(r"The review UI on the demo's data: (http://127\.0\.0\.1:\d+)/$")


def test_demo_keeps_serving_its_findings_until_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "gapwatch.analyzer.cli", "--log-level", "WARNING", "demo",
         "--sessions", "150", "--data-dir", str(data), "--out-dir", str(tmp_path / "out"),
         "--serve", "--api-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    seen: list[str] = []
    url = ""
    deadline = time.monotonic() + 180
    try:
        while "Press Ctrl-C to stop." not in seen:
            try:
                seen.append(lines.get(timeout=max(0.0, deadline - time.monotonic())).rstrip())
            except queue.Empty:
                raise AssertionError("the demo never said it was serving:\n"
                                     + "\n".join(seen)) from None
            match = READY.search(seen[-1])
            url = match.group(1) if match else url
        assert url, "\n".join(seen)
        assert (tmp_path / "out" / "report.html").is_file()  # the files came first
        proposals = httpx.get(f"{url}/api/v1/proposals", timeout=60).json()["proposals"]
        assert len(proposals) >= 3
        review = httpx.get(f"{url}/api/v1/report", params={"format": "md"}, timeout=60)
        assert review.status_code == 200 and proposals[0]["title"] in review.text
        # the CLI finds this server through serve.json and reads the demo's store through it
        advertised = json.loads((data / "serve.json").read_text())
        assert advertised["api_url"] == url
        listed = subprocess.run(
            [sys.executable, "-m", "gapwatch.analyzer.cli", "proposals", "list", "--json",
             "--data-dir", str(data)], capture_output=True, text=True, timeout=60, check=True)
        assert len(json.loads(listed.stdout)["proposals"]) == len(proposals)
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = process.wait(timeout=60)
    assert code == 0
    assert not (data / "serve.json").exists()
