"""``gapwatch demo``: a simulated fleet through the real collector, analysis, report, dashboards.

    summary = run_demo(DemoOptions(data_dir=Path(".gapwatch"), out_dir=Path("gapwatch-out")))

Safe to rerun: the demo owns one database (``gapwatch_demo``) and one WAL directory in the data
directory and recreates both each time; nothing else in the data directory is touched.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer

from gapwatch.analyzer.demo.fleet import (
    LEDGER,
    Fleet,
    FleetOptions,
    InjectedGap,
    SeededIdGenerator,
)
from gapwatch.analyzer.grafana import write_provisioning
from gapwatch.analyzer.report import collect_report, render_html, render_markdown
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import SchemaOptions, connect

DATABASE = "gapwatch_demo"


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path = Path(".gapwatch")
    out_dir: Path = Path("gapwatch-out")
    sessions: int = 500
    seed: int = 7
    window: str = "7d"


@dataclass
class DemoSummary:
    spans_sent: int = 0
    spans_stored: int = 0
    findings: int = 0
    proposals: list[dict[str, Any]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def run_demo(options: DemoOptions, say: Callable[[str], None] = print) -> DemoSummary:
    from gapwatch.collector.server import CollectorConfig, CollectorServer

    started = time.monotonic()
    summary = DemoSummary()
    chdb_dir = (options.data_dir / "chdb").resolve()
    store_url = f"chdb://{chdb_dir}?database={DATABASE}"
    wal_dir = options.data_dir / "demo-wal"
    say(f"[1/6] embedded store {chdb_dir} (database {DATABASE}, recreated)")
    admin = connect(f"chdb://{chdb_dir}")
    admin.command(f"DROP DATABASE IF EXISTS `{DATABASE}` SYNC")
    shutil.rmtree(wal_dir, ignore_errors=True)
    client = connect(store_url)
    create_analyzer_schema(client, SchemaOptions(database=DATABASE))
    server = CollectorServer(CollectorConfig(
        store_url=store_url, wal_dir=wal_dir, http_port=0, grpc_port=-1, create_schema=False,
        fsync=False,  # a demo: durability across power loss is not what we show here
    ))
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server.http_port}/v1/traces"
        say(f"[2/6] collector listening on {endpoint}; simulating {options.sessions} sessions "
            "of a planner delegating to coder, researcher, reviewer and summarizer")
        summary.spans_sent = _simulate(options, endpoint, say)
        say(f"[3/6] {summary.spans_sent} spans sent over OTLP/HTTP; waiting for ingest")
        if not server.wait_stored(120):
            raise RuntimeError("the collector did not store every span within 120 s")
        summary.spans_stored = int(client.query("SELECT count() FROM otel_traces").result_rows
                                   [0][0])
        say(f"      {summary.spans_stored} spans stored")
        say(f"[4/6] analysing the last {options.window}")
        summary.findings = _analyse(client, options.window, say)
        summary.proposals = _proposals(client)
        _print_proposals(summary.proposals, say)
        say("[5/6] writing the review report and the Grafana dashboards")
        summary.files = _write_outputs(client, options)
    finally:
        server.stop()
        client.close()
        admin.close()
    summary.seconds = time.monotonic() - started
    _print_where(options, summary, say)
    return summary


def _simulate(options: DemoOptions, endpoint: str, say: Callable[[str], None]) -> int:
    providers: dict[str, TracerProvider] = {}

    def tracer_for(service: str) -> Tracer:
        if service not in providers:
            provider = TracerProvider(
                resource=Resource.create({"service.name": service, "service.version": "demo"}),
                id_generator=SeededIdGenerator(options.seed + len(providers)),
            )
            # a queue large enough for the whole burst: the SDK default drops spans (see the
            # instrumentation README on BurstBatchSpanProcessor)
            provider.add_span_processor(BatchSpanProcessor(
                OTLPSpanExporter(endpoint=endpoint, timeout=30), max_queue_size=200_000,
                max_export_batch_size=2_000, schedule_delay_millis=200))
            providers[service] = provider
        return providers[service].get_tracer("gapwatch.demo")

    fleet = Fleet(FleetOptions(sessions=options.sessions, seed=options.seed), tracer_for)
    stats = fleet.run(lambda done, total: say(f"      sessions {done}/{total}")
                      if done % 100 == 0 or done == total else None)
    for provider in providers.values():
        if not provider.force_flush(60_000):
            raise RuntimeError("the OTLP exporter could not deliver every span")
        provider.shutdown()
    gaps = ", ".join(f"{name} ×{count}" for name, count in sorted(stats.by_gap.items()))
    say(f"      injected gaps: {gaps}")
    return stats.spans


def _analyse(client: Any, window: str, say: Callable[[str], None]) -> int:
    from gapwatch.analyzer.analysis import Analyzer
    from gapwatch.analyzer.detectors import DETECTORS
    from gapwatch.analyzer.store import Store

    def detect_each(context: Any) -> list[Any]:
        # one broken detector must not hide what the others found: run them one by one
        findings: list[Any] = []
        for detector in DETECTORS:
            try:
                found = detector.detect(context)
            except Exception as error:  # noqa: BLE001 - reported, and the demo goes on
                say(f"      detector {detector.id} failed and was skipped: {error}"[:200])
                continue
            findings.extend(found)
        return findings

    run = Analyzer(Store(client, DATABASE), window=window, detect=detect_each).run()
    return int(run.findings)


def _proposals(client: Any) -> list[dict[str, Any]]:
    sql = resources.files(__package__).joinpath("sql", "proposals_table.sql").read_text("utf-8")
    result = client.query(sql)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def _print_proposals(proposals: list[dict[str, Any]], say: Callable[[str], None]) -> None:
    say(f"      {len(proposals)} proposals:")
    say(f"      {'priority':<8}  {'detector':<26}  {'evidence':>8}  title")
    for proposal in proposals:
        title = proposal["title"] if len(proposal["title"]) <= 70 else proposal["title"][:69] + "…"
        say(f"      {proposal['priority']:<8}  {proposal['detector']:<26}  "
            f"{proposal['evidence_count']:>8}  {title}")
    found, others = check_ledger(proposals)
    say(f"      injected gaps found: {len(found)} of {len(LEDGER)}; other proposals: "
        f"{len(others)}")
    for gap in LEDGER:
        if gap not in found:
            where = "/".join(x for x in (gap.agent, gap.tool, gap.target_agent) if x)
            say(f"      not found: {gap.detector} on {where}")


def check_ledger(
    proposals: list[dict[str, Any]],
) -> tuple[list[InjectedGap], list[dict[str, Any]]]:
    """The injected gaps some proposal reports, and the proposals that report none of them."""
    found: list[InjectedGap] = []
    others = []
    for proposal in proposals:
        subject = proposal["subject"]
        subject = json.loads(subject) if isinstance(subject, str) else dict(subject)
        hits = [gap for gap in LEDGER if gap.matches(proposal["detector"], subject)]
        if hits:
            found.extend(gap for gap in hits if gap not in found)
        else:
            others.append(proposal)
    return found, others


def _write_outputs(client: Any, options: DemoOptions) -> list[Path]:
    options.out_dir.mkdir(parents=True, exist_ok=True)
    data = collect_report(client, options.window)
    markdown = options.out_dir / "report.md"
    html = options.out_dir / "report.html"
    markdown.write_text(render_markdown(data), encoding="utf-8")
    html.write_text(render_html(data), encoding="utf-8")
    return [markdown, html, *write_provisioning(options.out_dir / "grafana")]


def _print_where(options: DemoOptions, summary: DemoSummary, say: Callable[[str], None]) -> None:
    out = options.out_dir.resolve()
    chdb_dir = (options.data_dir / "chdb").resolve()
    say(f"[6/6] done in {summary.seconds:.0f} s")
    say(f"  report       {out / 'report.html'}  (and report.md)")
    say(f"  dashboards   {out / 'grafana' / 'json'}  (+ provisioning/ for datasource, alerts)")
    say(f"  data         chdb://{chdb_dir}?database={DATABASE}")
    say("  view later   gapwatch serve --no-collector --clickhouse-url "
        f"'chdb://{chdb_dir}?database={DATABASE}'  (UI and API on port 8080)")
    say("  Grafana      Grafana reads a ClickHouse server, not the embedded store: run gapwatch")
    say("               with GAPWATCH_CLICKHOUSE_URL=http://user:pw@clickhouse:8123/db, then")
    say("               gapwatch publish grafana --url http://grafana:3000 --token <token> "
        "--datasource-host clickhouse")
    say(f"               or mount {out / 'grafana' / 'provisioning'} as Grafana's provisioning "
        "directory")
