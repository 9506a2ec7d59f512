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

    .venv/bin/python benchmarks/bench_quality.py                     # 3 seeds × 3 conventions
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
    args = parser.parse_args(argv)

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
    _print(by_detector, by_convention)
    print(f"\n{len(args.conventions) * len(args.seeds)} fleets with gaps"
          f"{'' if args.no_healthy else ' and as many healthy ones'}, "
          f"{args.sessions} sessions each over 7 days, {time.monotonic() - started:.0f} s")
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


if __name__ == "__main__":
    sys.exit(main())
