"""The demo is exact: its analysis proposes every gap the fleet injects and nothing else.

The fleet's own ledger (``LEDGER``) is the answer key; seeds vary so the demo's precision does
not hang on one lucky draw. The CLI run of the demo (``test_demo.py``) prints the same check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analyzer.tests.spans import drop_database, open_analyzer_store
from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.demo.fleet import LEDGER, FleetOptions
from gapwatch.analyzer.demo.loading import load_fleet
from gapwatch.analyzer.demo.runner import check_ledger
from gapwatch.analyzer.proposals.model import Status
from gapwatch.analyzer.store import Store


@pytest.mark.parametrize(("seed", "sessions"), [(7, 500), (3, 400), (11, 600)])
def test_demo_proposals_are_exactly_its_ledger(chdb_dir: Path, seed: int, sessions: int) -> None:
    client = open_analyzer_store(chdb_dir, f"demo_exact_{seed}")
    try:
        now = datetime.now(UTC)
        load_fleet(client, FleetOptions(sessions=sessions, seed=seed, now=now))
        analyzer = Analyzer(Store(client), window="7d")
        run = analyzer.run(now=now)
        proposals = [
            {"detector": p.detector, "subject": p.subject, "title": p.title}
            for p in analyzer.repository.by_status([Status.OPEN])
        ]
        found, others = check_ledger(proposals)
        missed = [gap for gap in LEDGER if gap not in found]
        assert not missed and not others, (missed, [p["title"] for p in others])
        assert run.findings == len(LEDGER)
    finally:
        drop_database(client)
