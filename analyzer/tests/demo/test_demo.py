"""``gapwatch demo`` end to end in a subprocess (its own chDB directory), run twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gapwatch.analyzer.demo.fleet import LEDGER

EXPECTED = {gap.detector for gap in LEDGER}


def run_demo(tmp_path: Path, *flags: str) -> str:
    """The demo with its output captured: not a terminal, so it exits instead of serving."""
    result = subprocess.run(
        [sys.executable, "-m", "gapwatch.analyzer.cli", "--log-level", "WARNING", "demo",
         "--sessions", "400", "--data-dir", str(tmp_path / "data"),
         "--out-dir", str(tmp_path / "out"), *flags],
        capture_output=True, text=True, timeout=150, check=False, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_demo_finds_injected_gaps_and_is_safe_to_rerun(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    fired = {line.split()[1] for line in first.splitlines()
             if line.strip().startswith(("high ", "medium ", "low "))}
    assert EXPECTED == fired, f"detectors: {EXPECTED ^ fired}\n{first}"
    # every injected gap found, and no other proposal (the demo checks its own ledger)
    assert f"injected gaps found: {len(LEDGER)} of {len(LEDGER)}; other proposals: 0" in first
    sent = next(line for line in first.splitlines() if "spans sent over OTLP" in line)
    stored = next(line for line in first.splitlines() if line.strip().endswith("spans stored"))
    assert sent.split()[1] == stored.split()[0]  # everything acknowledged was stored
    for name in ("report.md", "report.html", "grafana/json/gapwatch-tools.json",
                 "grafana/provisioning/alerting/gapwatch-alerts.yaml"):
        assert (tmp_path / "out" / name).is_file()
    second = run_demo(tmp_path, "--no-serve")  # same data dir: recreated, not doubled
    assert stored in second
