"""Full analysis (all detectors, plus proposal upsert when available) over synthetic agent spans.

Spans are generated in SQL with ``numbers()`` straight into ``otel_traces`` of an embedded chDB
store, so the normalization views fill the span facts exactly as in production, and the traces
are assembled into ``gapwatch_agent_spans`` (part of loading); then the analysis is timed.
Prints seconds and peak RSS per size. Target: ≤ 10 s at 10M spans.

    .venv/bin/python benchmarks/bench_analysis.py            # 1M spans
    .venv/bin/python benchmarks/bench_analysis.py --full     # 1M and 10M spans
    .venv/bin/python benchmarks/bench_analysis.py --sizes 2000000

Per-detector seconds follow each size's line (the detectors run one after another, as in
``run_detectors``), then the proposal upsert. ``--data-dir DIR`` keeps the generated spans in DIR
and reuses them on the next run with the same size (the analysis window is stored with them).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.detectors import DETECTORS, DetectionContext
from gapwatch.analyzer.model import assemble_traces
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import SchemaOptions, connect

CHUNK = 1_000_000
WINDOW = timedelta(days=7)

# One row of otel_traces per number: 10 spans per trace (an agent run, a delegation, four tool
# calls, four LLM calls), 5 services, 20 agents, 50 tools, a few percent of failures of every
# kind the detectors look for. Deterministic: everything derives from the row number.
GENERATE = """
INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
    ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration,
    StatusCode, StatusMessage, `Events.Timestamp`, `Events.Name`, `Events.Attributes`,
    `Links.TraceId`, `Links.SpanId`, `Links.TraceState`, `Links.Attributes`)
SELECT
    ts, trace_id, lower(hex(cityHash64(number))), if(k = 0, '', root_span), '', name,
    if(k = 1 OR k >= 6, 'Client', 'Internal'), service,
    map('service.name', service, 'service.version', '1.0.' || toString(intDiv(t * 4, traces))),
    'bench', '1', mapFilter((key, value) -> value != '', attributes), duration,
    if(failure != '', 'Error', 'Unset'), failure,
    arrayConcat(if(failure != '', [ts], []), if(rated, [ts], [])),
    arrayConcat(if(failure != '', ['exception'], []), if(rated, ['gapwatch.feedback'], [])),
    arrayConcat(
        if(failure != '', [map('exception.type', 'ToolError', 'exception.message', failure)], []),
        if(rated, [map('gapwatch.feedback.rating', if(h % 7 = 0, '-1', '1'))], [])),
    [], [], [], []
FROM (
    SELECT number,
        intDiv(number, 10) AS t, number % 10 AS k,
        {traces:UInt64} AS traces,
        cityHash64(number, 7) % 1000 AS h,
        toDateTime64({start:DateTime64(9)}, 9)
            + toIntervalNanosecond(intDiv(t * {step_ns:UInt64}, 1) + k * 1000000) AS ts,
        lower(concat(hex(cityHash64(t)), hex(cityHash64(t, 1)))) AS trace_id,
        lower(hex(cityHash64(t * 10))) AS root_span,
        concat('svc-', toString(t % 5)) AS service,
        concat('agent-', toString(t % 20)) AS agent,
        concat('agent-', toString((t + 1) % 20)) AS target,
        concat('tool-', toString(cityHash64(number, 3) % 50)) AS tool,
        concat('s-', toString(t % {sessions:UInt64})) AS session,
        multiIf(k = 0, 'agent', k = 1, 'delegation', k <= 5, 'tool', 'llm') AS role,
        multiIf(
            role = 'tool' AND h < 20, concat('upstream ', toString(h), ' failed for id ',
                                             lower(hex(cityHash64(number, 9)))),
            role = 'tool' AND h < 25, 'request timed out after 30s',
            role = 'tool' AND h < 28, concat('permission denied for /data/', toString(h), '/x'),
            role = 'delegation' AND h < 40, 'subagent gave up',
            role = 'agent' AND h < 30, 'run failed',
            '') AS failure,
        role = 'agent' AND h % 20 = 0 AS rated,
        multiIf(role = 'tool', 1000000 + cityHash64(number, 5) % 2000000000,
                role = 'llm', 200000000 + cityHash64(number, 5) % 3000000000,
                30000000000) AS duration,
        multiIf(role = 'agent', concat('invoke_agent ', agent),
                role = 'delegation', concat('invoke_agent ', target),
                role = 'tool', concat('execute_tool ', tool), 'chat gpt-4o') AS name,
        map(
            'gen_ai.operation.name', multiIf(role IN ('agent', 'delegation'), 'invoke_agent',
                                             role = 'tool', 'execute_tool', 'chat'),
            'gen_ai.agent.name', if(role = 'delegation', target, agent),
            'gen_ai.caller.name', if(role = 'delegation', agent, ''),
            'gapwatch.delegation.category', if(role = 'delegation',
                                               ['quick', 'deep', 'code'][t % 3 + 1], ''),
            'gen_ai.tool.name', if(role = 'tool', tool, ''),
            'gen_ai.conversation.id', session,
            'gapwatch.task', if(role = 'agent',
                                concat('please handle request number ', toString(t % 300)), ''),
            'gapwatch.prompt.version', if(role = 'agent', if(t * 2 < traces, 'p1', 'p2'), ''),
            'gapwatch.input.size', if(role = 'tool',
                                      toString(if(h >= 20 AND h < 25, 9000, h * 7)), ''),
            'gapwatch.input.unit', if(role = 'tool', 'lines', ''),
            'gapwatch.tool.outcome', if(role = 'tool' AND h >= 28 AND h < 32, 'soft_error', ''),
            'gen_ai.tool.call.arguments', if(role = 'tool' AND h % 3 = 0,
                                             concat('{"q":"', toString(t % 7), '"}'), ''),
            'gen_ai.usage.input_tokens', if(role = 'llm', toString(500 + h * 5), ''),
            'gen_ai.usage.output_tokens', if(role = 'llm', toString(50 + h), ''),
            'gen_ai.request.model', if(role = 'llm', 'gpt-4o', ''),
            'gen_ai.tool.definitions', if(role = 'llm' AND k = 6, concat('[{"name":"tool-',
                toString(t % 50), '"},{"name":"tool-', toString((t + 1) % 50),
                '"},{"name":"legacy_export"}]'), '')
        ) AS attributes
    FROM numbers({first:UInt64}, {count:UInt64})
)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also run 10M spans")
    parser.add_argument("--sizes", type=int, nargs="*", help="span counts to run")
    parser.add_argument("--data-dir", help="keep generated spans here and reuse them")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1_000_000, 10_000_000] if args.full else [1_000_000])
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-") as scratch:
        directory = args.data_dir or scratch
        for size in sizes:
            client = connect(f"chdb://{directory}?database=bench_{size}")
            report(size, *run(client, size))
    return 0


def run(
    client: Client, size: int
) -> tuple[
    float, float, int, float, tuple[float, float] | None, Counter[str], str, dict[str, float]
]:
    """Generate ``size`` spans (unless kept from before), then time the analysis."""
    database = str(client.database)
    create_analyzer_schema(client, SchemaOptions(database=database))
    client.command(
        "CREATE TABLE IF NOT EXISTS bench_window (size UInt64, since DateTime, until DateTime) "
        "ENGINE = MergeTree ORDER BY size"
    )
    kept = client.query(
        "SELECT since, until FROM bench_window WHERE size = {size:UInt64}",
        parameters={"size": size},
    ).result_rows
    if kept:
        since, until = (value.replace(tzinfo=UTC) for value in kept[0])
        # kept spans: assemble whatever a newer model version left to re-assemble (a no-op
        # otherwise), so the analysis below times detection only
        started = time.perf_counter()
        assemble_traces(client, database)
        load_s = time.perf_counter() - started
    else:
        since, until, load_s = _generate(client, size)
    (model_rows,) = client.query("SELECT count() FROM gapwatch_agent_spans").result_rows[0]

    context = DetectionContext(client, database, since, until, "7d")
    _reset_peak_rss()
    timings: dict[str, float] = {}
    findings: list[Any] = []
    started = time.perf_counter()
    for detector in DETECTORS:
        began = time.perf_counter()
        findings.extend(detector.detect(context))
        timings[detector.id] = time.perf_counter() - began
    began = time.perf_counter()
    upserted = _upsert(client, findings, since, until)
    timings["(proposal upsert)"] = time.perf_counter() - began
    analysis_s = time.perf_counter() - started
    return (
        load_s,
        analysis_s,
        int(model_rows),
        _peak_rss_mb(),
        _analysis_peak_rss_mb(),
        Counter(f.detector for f in findings),
        upserted,
        timings,
    )


def _generate(client: Client, size: int, *, assemble: bool = True
              ) -> tuple[datetime, datetime, float]:
    """Insert ``size`` synthetic spans into ``otel_traces``; returns the window and seconds."""
    until = datetime.now(UTC).replace(microsecond=0)
    since = until - WINDOW
    traces = max(size // 10, 1)
    started = time.perf_counter()
    for first in range(0, size, CHUNK):
        client.command(
            GENERATE,
            parameters={
                "first": first,
                "count": min(CHUNK, size - first),
                "traces": traces,
                "sessions": max(traces // 5, 1),
                "start": since + timedelta(minutes=1),
                "step_ns": int((WINDOW - timedelta(minutes=2)).total_seconds() * 1e9) // traces,
            },
        )
    # the detectors read the assembled model: assembly is part of loading, as in production
    # (timed on its own by bench_assembly.py)
    if assemble:
        assemble_traces(client, str(client.database))
    load_s = time.perf_counter() - started
    client.insert(
        "bench_window",
        [[size, since.replace(tzinfo=None), until.replace(tzinfo=None)]],
        column_names=["size", "since", "until"],
    )
    return since, until, load_s


def _upsert(client: Client, findings: list[Any], since: datetime, until: datetime) -> str:
    """Store the findings as proposals when the proposals package offers an upsert."""
    try:
        from gapwatch.analyzer.proposals import ProposalRepository  # noqa: F401
        from gapwatch.analyzer.store import Store
    except ImportError:
        return "proposals: not available"
    try:
        from gapwatch.analyzer.analysis import Analyzer
    except ImportError:
        return "proposals: no Analyzer"
    analyzer = Analyzer(Store(client, str(client.database)), window="7d", detect=lambda _: findings)
    result = analyzer.run(now=until)
    return f"proposals: {result.new} new, {result.updated} updated"


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


_RSS_AT_RESET = 0.0


def _reset_peak_rss() -> None:
    """Reset the kernel's resident-set high-water mark (Linux), so the analysis gets its own;
    remember the RSS at that point (what generating the spans left behind)."""
    global _RSS_AT_RESET
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    _RSS_AT_RESET = int(line.split()[1]) / 1024
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _analysis_peak_rss_mb() -> tuple[float, float] | None:
    """(RSS at ``_reset_peak_rss``, VmHWM since then), Linux only."""
    try:
        with open("/proc/self/status") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return _RSS_AT_RESET, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return None


def report(
    size: int,
    load_s: float,
    analysis_s: float,
    rows: int,
    rss: float,
    analysis_rss: tuple[float, float] | None,
    found: Counter[str],
    upserted: str,
    timings: dict[str, float],
) -> None:
    by_detector = ", ".join(f"{k} {v}" for k, v in sorted(found.items()))
    print(
        f"{size:>11,} spans  load+normalize {load_s:6.1f} s  analysis {analysis_s:6.2f} s  "
        f"model rows {rows:,}  peak RSS {rss:,.0f} MB"
        + (
            f" (RSS {analysis_rss[0]:,.0f} MB when the analysis started, peak during it "
            f"{analysis_rss[1]:,.0f} MB)"
            if analysis_rss is not None
            else ""
        )
        + "\n"
        f"             findings: {sum(found.values())} ({by_detector}); {upserted}",
        flush=True,
    )
    for name, seconds in timings.items():
        print(f"             {name:<28} {seconds:6.2f} s", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
