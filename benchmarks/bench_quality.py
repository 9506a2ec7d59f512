"""Quality of the proposals: recall and precision per detector on fleets with known gaps.

Seeded synthetic fleets (``gapwatch.analyzer.demo.synthetic``) mix an injected gap of every
detector kind with healthy noise, a week of traffic each, in the GenAI (gapwatch
instrumentation), OpenInference and OpenLLMetry conventions; healthy fleets of the same shape
with no gap at all count their proposals as false positives too. Each fleet goes through the
collector's ingest path into chDB, then the analysis (assembly when the model has it, every
detector, one proposal per root cause). A proposal is a true positive when its detector and
subject (service, agent, tool, target agent) match an injected gap. Prints recall and precision
per detector and convention, and for timeouts the error of the reported input-size threshold.
Target: recall ≥ 0.95 and precision ≥ 0.95.

``--frameworks`` adds the real-framework scenarios of the conformance suite (``tests/frameworks``):
each runs the framework with its own instrumentation and a scripted model into a real
``gapwatch serve``, and its proposals are scored against the scenario's own ledger. LangGraph.js
under OpenLLMetry is scored against what that emitter carries (see its test).

    .venv/bin/python benchmarks/bench_quality.py                     # 3 seeds × 3 conventions
    .venv/bin/python benchmarks/bench_quality.py --frameworks        # … and the real frameworks
    .venv/bin/python benchmarks/bench_quality.py --seeds 1 2 --conventions genai
    .venv/bin/python benchmarks/bench_quality.py --verbose           # every proposal and miss
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clickhouse_connect.driver.client import Client

from gapwatch.analyzer import model
from gapwatch.analyzer.analysis import _deduplicate
from gapwatch.analyzer.demo.fleet import InjectedGap
from gapwatch.analyzer.demo.loading import load_synthetic
from gapwatch.analyzer.demo.synthetic import CONVENTIONS, GAP_KINDS, SyntheticOptions
from gapwatch.analyzer.detectors import DetectionContext, Finding, run_detectors
from gapwatch.analyzer.schema import create_analyzer_schema
from gapwatch.collector import SchemaOptions, connect

WINDOW = timedelta(days=7)
# the conformance suite's entry scripts, under tests/frameworks
FRAMEWORK_SCENARIOS = (
    "scenarios/pydantic_ai_genai.py",
    "scenarios/openai_agents_openinference.py",
    "scenarios/openai_agents_openllmetry.py",
    "scenarios/langgraph_openllmetry.py",
    "scenarios/langgraph_openinference.py",
    "scenarios/mcp_pydantic_ai.py",
    "scenarios/mcp_sdk.py",
    "node/vercel/vercel_native.mjs",
    "node/vercel/vercel_openinference.mjs",
    "node/langgraph/langgraphjs_openinference.mjs",
    "node/langgraph/langgraphjs_openllmetry.mjs",
    "node/openai-agents/openai_agents_js_openinference.mjs",
)


@dataclass
class Tally:
    injected: int = 0
    found: int = 0
    false_positives: int = 0
    threshold_errors: list[float] = field(default_factory=list)

    def recall(self) -> float | None:
        return self.found / self.injected if self.injected else None

    def precision(self) -> float | None:
        reported = self.found + self.false_positives
        return self.found / reported if reported else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--conventions", nargs="+", default=list(CONVENTIONS),
                        choices=CONVENTIONS)
    parser.add_argument("--sessions", type=int, default=1500, help="sessions per fleet")
    parser.add_argument("--no-healthy", action="store_true", help="skip the healthy fleets")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--frameworks", action="store_true",
                        help="also score the conformance suite's real-framework scenarios")
    parser.add_argument("--only-frameworks", action="store_true",
                        help="score only the real-framework scenarios")
    args = parser.parse_args(argv)
    if args.only_frameworks:
        args.seeds = []

    by_detector: dict[str, Tally] = defaultdict(Tally)
    by_convention: dict[str, Tally] = defaultdict(Tally)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gapwatch-quality-") as data_dir:
        admin = connect(f"chdb://{data_dir}")
        for convention in args.conventions:
            for seed in args.seeds:
                kinds = [GAP_KINDS] + ([] if args.no_healthy else [()])
                for gaps in kinds:
                    label = f"{convention} seed {seed} {'gaps' if gaps else 'healthy'}"
                    ledger, leads = _analyse(admin, data_dir, convention, seed, gaps,
                                             args.sessions)
                    _score(label, ledger, leads, by_detector, by_convention, args.verbose)
        admin.close()
    if args.frameworks or args.only_frameworks:
        _score_frameworks(by_detector, by_convention, args.verbose)
    _print(by_detector, by_convention)
    fleets = len(args.conventions) * len(args.seeds)
    frameworks = (f"{len(FRAMEWORK_SCENARIOS)} real-framework scenarios"
                  if args.frameworks or args.only_frameworks else "")
    healthy = "" if args.no_healthy else " and as many healthy ones"
    synthetic = (f"{fleets} fleets with gaps{healthy}, {args.sessions} sessions each over 7 days"
                 if fleets else "")
    print(f"\n{'; '.join(part for part in (synthetic, frameworks) if part)}, "
          f"{time.monotonic() - started:.0f} s")
    return 0


def _analyse(
    admin: Client, data_dir: str, convention: str, seed: int, gaps: tuple[str, ...],
    sessions: int,
) -> tuple[list[InjectedGap], list[Finding]]:
    database = f"quality_{convention}_{seed}_{'gaps' if gaps else 'healthy'}"
    admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
    client = connect(f"chdb://{data_dir}?database={database}")
    try:
        create_analyzer_schema(client, SchemaOptions(database=database))
        now = datetime.now(UTC)
        fleet = load_synthetic(client, SyntheticOptions(
            seed=seed, sessions=sessions, convention=convention, gaps=gaps, now=now))
        assemble = getattr(model, "assemble_traces", None)
        if assemble is not None:
            assemble(client, database)
        context = DetectionContext(client, database, now - WINDOW, now + timedelta(minutes=1),
                                   "7d")
        leads = list(_deduplicate(run_detectors(context)).values())
        return fleet.ledger, leads
    finally:
        admin.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
        client.close()


def _score(
    label: str, ledger: list[InjectedGap], leads: list[Finding],
    by_detector: dict[str, Tally], by_convention: dict[str, Tally], verbose: bool,
) -> None:
    convention = label.split()[0]
    matched: set[int] = set()
    for gap in ledger:
        by_detector[gap.detector].injected += 1
        by_convention[convention].injected += 1
        hit = next((i for i, lead in enumerate(leads) if i not in matched
                    and gap.matches(lead.detector, lead.subject.as_dict())), None)
        if hit is None:
            if verbose:
                print(f"  {label}: MISSED {gap.detector} {gap.agent} {gap.tool}"
                      f"{gap.target_agent}")
            continue
        matched.add(hit)
        by_detector[gap.detector].found += 1
        by_convention[convention].found += 1
        if gap.threshold:
            reported = float(leads[hit].evidence.metrics.get("threshold") or 0.0)
            by_detector[gap.detector].threshold_errors.append(
                abs(reported - gap.threshold) / gap.threshold)
    for index, lead in enumerate(leads):
        if index in matched:
            continue
        by_detector[lead.detector].false_positives += 1
        by_convention[convention].false_positives += 1
        if verbose:
            subject = {k: v for k, v in lead.subject.as_dict().items() if v}
            print(f"  {label}: FALSE POSITIVE {lead.detector} {subject}: {lead.title}")
    if verbose:
        print(f"  {label}: {len(leads)} proposals, {len(ledger)} injected")


def _print(by_detector: dict[str, Tally], by_convention: dict[str, Tally]) -> None:
    def fmt(value: float | None) -> str:
        return "   -" if value is None else f"{value:4.2f}"

    print(f"{'detector':<26} {'injected':>8} {'found':>6} {'false+':>6} {'recall':>7} "
          f"{'precision':>9}  threshold error")
    total = Tally()
    for detector in (*GAP_KINDS, *sorted(set(by_detector) - set(GAP_KINDS))):
        tally = by_detector.get(detector, Tally())
        total.injected += tally.injected
        total.found += tally.found
        total.false_positives += tally.false_positives
        errors = tally.threshold_errors
        error = (f"mean {sum(errors) / len(errors):.1%}, max {max(errors):.1%}"
                 if errors else "")
        print(f"{detector:<26} {tally.injected:>8} {tally.found:>6} {tally.false_positives:>6} "
              f"{fmt(tally.recall()):>7} {fmt(tally.precision()):>9}  {error}")
    print(f"{'all':<26} {total.injected:>8} {total.found:>6} {total.false_positives:>6} "
          f"{fmt(total.recall()):>7} {fmt(total.precision()):>9}")
    print()
    for convention, tally in sorted(by_convention.items()):
        print(f"{convention:<26} {tally.injected:>8} {tally.found:>6} "
              f"{tally.false_positives:>6} {fmt(tally.recall()):>7} {fmt(tally.precision()):>9}")


def _score_frameworks(by_detector: dict[str, Tally], by_convention: dict[str, Tally],
                      verbose: bool) -> None:
    """Run every conformance scenario against its own server; score by its ledger."""
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from tests.frameworks.harness import Ledger, analyze, proposal_keys, run_scenario
    from tests.frameworks.test_langgraph_js import KNOWABLE_UNDER_OPENLLMETRY
    from tests.serving import GapwatchServer

    for script in FRAMEWORK_SCENARIOS:
        path = root / "tests" / "frameworks" / script
        if path.suffix == ".mjs" and not (path.parent / "node_modules").is_dir():
            print(f"  skipped {script}: run `make node-deps` first")
            continue
        with tempfile.TemporaryDirectory(prefix="gapwatch-framework-") as scratch, \
                GapwatchServer(Path(scratch) / "data") as server:
            ledger = run_scenario(path, server)
            if path.stem == "langgraphjs_openllmetry":
                ledger = Ledger(ledger.spans, KNOWABLE_UNDER_OPENLLMETRY, frozenset())
            found = proposal_keys(analyze(server))
        label = path.stem
        for key in ledger.gaps:
            for tally in (by_detector[key[0]], by_convention[label]):
                tally.injected += 1
                tally.found += key in found
        for key in found - ledger.gaps:
            for tally in (by_detector[key[0]], by_convention[label]):
                tally.false_positives += 1
            if verbose:
                print(f"  {label}: FALSE POSITIVE {key}")
        if verbose:
            for key in sorted(ledger.gaps - found):
                print(f"  {label}: MISSED {key}")


if __name__ == "__main__":
    sys.exit(main())
