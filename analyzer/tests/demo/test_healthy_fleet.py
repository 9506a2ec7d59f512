"""A healthy fleet yields no proposal at all.

A week of a synthetic fleet with only ordinary noise — tools failing at base rates, rare
timeouts and refusals, single identical retries, recurring requests that succeed, mostly good
ratings, a normal spread of tokens, every agent shipping a harmless new version — goes through
ingest and the full analysis (assembly, every detector, root-cause merging) as a dry run. Seeds
and conventions vary: a detector that speaks on any of them has a precision problem.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analyzer.tests.spans import drop_database, open_analyzer_store
from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.demo.loading import load_synthetic
from gapwatch.analyzer.demo.synthetic import SyntheticOptions
from gapwatch.analyzer.store import Store

CASES = [("genai", 11), ("genai", 12), ("genai", 13), ("openinference", 14), ("openllmetry", 15)]


@pytest.mark.parametrize(("convention", "seed"), CASES)
def test_healthy_fleet_yields_no_proposal_when_only_noise(
    chdb_dir: Path, convention: str, seed: int
) -> None:
    client = open_analyzer_store(chdb_dir, f"healthy_{convention}_{seed}")
    try:
        now = datetime.now(UTC)
        fleet = load_synthetic(client, SyntheticOptions(
            seed=seed, sessions=1200, days=7, convention=convention, now=now))
        assert fleet.ledger == [] and fleet.stats.spans > 10_000
        run = Analyzer(Store(client), window="7d").run(dry_run=True, now=now)
        assert run.traffic is not None and run.traffic.enough, run.traffic
        assert run.findings == 0
    finally:
        drop_database(client)


def test_analysis_says_when_it_saw_too_little_data(chdb_dir: Path) -> None:
    client = open_analyzer_store(chdb_dir, "healthy_too_little")
    try:
        now = datetime.now(UTC)
        load_synthetic(client, SyntheticOptions(seed=1, sessions=8, days=7, now=now))
        run = Analyzer(Store(client), window="7d").run(dry_run=True, now=now)
        assert run.findings == 0
        assert run.traffic is not None and not run.traffic.enough
        assert "too little data" in run.traffic.note
        empty = Analyzer(Store(client), window="7d").run(
            dry_run=True, now=datetime(2001, 1, 1, tzinfo=UTC))
        assert empty.traffic is not None and "no agent spans" in empty.traffic.note
    finally:
        drop_database(client)
