"""Trace assembly throughput: settled traces from span facts into the agent model.

The spans of ``bench_analysis`` (10 per trace: an agent run, a delegation, four tool calls,
four model calls) are generated straight into ``otel_traces`` of an embedded chDB store; the
normalization view fills the span facts as they are inserted. Then one assembly pass over all of
them is timed, and a second pass after late spans arrived for 1% of the traces (re-assembly).
Target: ≥ 100k spans/s on a 2-core machine (a 10M-span backfill in under two minutes).

    .venv/bin/python benchmarks/bench_assembly.py                 # 1M spans
    .venv/bin/python benchmarks/bench_assembly.py --sizes 1000000 10000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from gapwatch.analyzer.model import assemble_traces
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import SchemaOptions, connect

sys.path.insert(0, str(Path(__file__).parent))
from bench_analysis import _generate  # noqa: E402  (one generator for both benchmarks)

# late spans: one more tool call for every hundredth trace, stored after the first pass
LATE_SPANS = """
INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind,
    ServiceName, SpanAttributes, Duration, StatusCode)
SELECT Timestamp + toIntervalSecond(1), TraceId, lower(hex(cityHash64(SpanId, 'late'))), SpanId,
    'execute_tool late_lookup', 'Internal', ServiceName,
    map('gen_ai.operation.name', 'execute_tool', 'gen_ai.tool.name', 'late_lookup'),
    1000000, 'Unset'
FROM otel_traces
WHERE ParentSpanId = '' AND cityHash64(TraceId) % 100 = 0
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    args = parser.parse_args(argv)
    print(f"{'spans':>10} {'insert s':>9} {'assemble s':>11} {'spans/s':>10} "
          f"{'model rows':>11} {'late spans':>10} {'again s':>8} {'peak RSS MB':>12}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as scratch:
            client = connect(f"chdb://{scratch}?database=bench")
            client.command("CREATE DATABASE IF NOT EXISTS bench")
            create_analyzer_schema(client, SchemaOptions(database="bench"))
            client.command("CREATE TABLE bench_window (size UInt64, since DateTime, "
                           "until DateTime) ENGINE = MergeTree ORDER BY size")
            _, _, insert_s = _generate(client, size, assemble=False)
            started = time.perf_counter()
            first = assemble_traces(client, "bench")
            assemble_s = time.perf_counter() - started
            (rows,) = client.query("SELECT count() FROM gapwatch_agent_spans").result_rows[0]
            client.command(LATE_SPANS)
            started = time.perf_counter()
            assemble_traces(client, "bench")
            again_s = time.perf_counter() - started
            (after,) = client.query("SELECT count() FROM gapwatch_agent_spans").result_rows[0]
            if first.spans != size:
                raise SystemExit(f"assembled {first.spans} of {size} spans")
            rate = first.spans / assemble_s
            print(f"{size:>10,} {insert_s:>9.2f} {assemble_s:>11.2f} {rate:>10,.0f} {rows:>11,} "
                  f"{after - rows:>10,} {again_s:>8.2f} {_peak_rss_mb():>12,.0f}")
            client.close()
    return 0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
