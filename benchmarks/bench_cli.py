"""How long ``gapwatch --help`` takes: the CLI builds every command's parser without importing
the analyzer, the collector or their libraries, so help and typos answer at once.

    .venv/bin/python benchmarks/bench_cli.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7
TARGET_S = 0.3


def main() -> int:
    command = [sys.executable, "-m", "gapwatch.analyzer.cli", "--help"]
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"gapwatch --help: median {median * 1000:.0f} ms over {RUNS} runs "
          f"(min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms); "
          f"target under {TARGET_S * 1000:.0f} ms")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
