from __future__ import annotations

from datetime import timedelta

import pytest
from proposal_factories import NOW, insert_tool_calls, make_finding

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.detectors.base import Finding
from gapwatch.analyzer.proposals import (
    Action,
    ProposalService,
    Status,
    VerificationPolicy,
    judge,
    proposal_id,
)
from gapwatch.analyzer.store import Store

PID = proposal_id("tool_failure_hotspot", make_finding().subject)
SHIPPED = NOW + timedelta(hours=1)


def _implemented(store: Store, findings: list[Finding]) -> Analyzer:
    analyzer = Analyzer(store, detect=lambda context: list(findings),
                        policy=VerificationPolicy(min_samples=30))
    analyzer.run(now=NOW)
    service = ProposalService(store)
    service.act(PID, Action.APPROVE, actor="ana", reason="yes", now=NOW)
    service.act(PID, Action.IMPLEMENTED, actor="ana", reason="v2 out", version="v2", now=SHIPPED)
    return analyzer


def test_verified_when_failure_rate_drops_significantly_after_the_change(store: Store) -> None:
    analyzer = _implemented(store, [make_finding(count=40)])
    day = timedelta(days=1)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED - day,
                      end=SHIPPED, total=100, bad=40)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED, end=SHIPPED + day,
                      total=100, bad=3)
    # another tool's failures must not count for this subject
    insert_tool_calls(store.client, store.database, tool="fetch", start=SHIPPED, end=SHIPPED + day,
                      total=50, bad=50)
    run = analyzer.run(now=SHIPPED + day)
    assert run.verified == 1
    proposal, history = ProposalService(store).get(PID)
    assert proposal.status is Status.VERIFIED
    check = proposal.verification
    assert check["before"] == {"total": 100, "bad": 40, "rate": 0.4}
    assert check["after"] == {"total": 100, "bad": 3, "rate": 0.03}
    assert check["test"] == "two_proportion_z" and check["p_value"] < 1e-6
    assert history[-1].to_status == "verified" and "40.0% → 3.0%" in history[-1].reason


def test_regressed_when_failure_rate_rises_after_the_change(store: Store) -> None:
    analyzer = _implemented(store, [make_finding()])
    hours = timedelta(hours=6)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED - hours,
                      end=SHIPPED, total=40, bad=0)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED,
                      end=SHIPPED + hours, total=40, bad=8)
    events = []
    analyzer.publishers.append(type("Sink", (), {"publish": lambda self, e: events.append(e)})())
    run = analyzer.run(now=SHIPPED + hours)
    assert run.regressed == 1
    proposal = ProposalService(store).get(PID)[0]
    assert proposal.status is Status.REGRESSED
    assert proposal.verification["test"] == "fisher_exact"
    assert [(e.kind.value, e.proposal.id) for e in events] == [("regressed", PID)]


def test_stays_implemented_when_there_are_too_few_samples(store: Store) -> None:
    analyzer = _implemented(store, [make_finding()])
    hours = timedelta(hours=2)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED - hours,
                      end=SHIPPED, total=50, bad=40)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED,
                      end=SHIPPED + hours, total=10, bad=0)
    analyzer.run(now=SHIPPED + hours)
    proposal = ProposalService(store).get(PID)[0]
    assert proposal.status is Status.IMPLEMENTED
    assert proposal.verification["outcome"] == "insufficient_data"
    assert proposal.verification["after"]["total"] == 10


def test_compares_windows_of_equal_length_when_history_is_longer(store: Store) -> None:
    analyzer = _implemented(store, [make_finding()])
    # failures long before the change fall outside the equal-length "before" window
    insert_tool_calls(store.client, store.database, tool="search",
                      start=SHIPPED - timedelta(days=5), end=SHIPPED - timedelta(days=2),
                      total=200, bad=200)
    insert_tool_calls(store.client, store.database, tool="search",
                      start=SHIPPED - timedelta(days=1), end=SHIPPED, total=40, bad=2)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED,
                      end=SHIPPED + timedelta(days=1), total=40, bad=2)
    analyzer.run(now=SHIPPED + timedelta(days=1))
    proposal = ProposalService(store).get(PID)[0]
    assert proposal.verification["before"]["total"] == 40
    assert proposal.verification["outcome"] == "inconclusive"
    assert proposal.status is Status.IMPLEMENTED


def test_verified_problem_reopens_when_it_comes_back_worse(store: Store) -> None:
    findings = [make_finding(count=40)]
    analyzer = _implemented(store, findings)
    day = timedelta(days=1)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED - day,
                      end=SHIPPED, total=100, bad=40)
    insert_tool_calls(store.client, store.database, tool="search", start=SHIPPED,
                      end=SHIPPED + day, total=100, bad=0)
    analyzer.run(now=SHIPPED + day)
    assert ProposalService(store).get(PID)[0].status is Status.VERIFIED

    findings[:] = [make_finding(count=40)]  # old failures still in the window: no reopening
    assert analyzer.run(now=SHIPPED + 2 * day).reopened == 0
    findings[:] = [make_finding(count=55)]
    assert analyzer.run(now=SHIPPED + 3 * day).reopened == 1
    proposal, history = ProposalService(store).get(PID)
    assert proposal.status is Status.REOPENED
    assert [h.to_status for h in history][-2:] == ["verified", "reopened"]
    assert history[-1].from_status == "verified"


@pytest.mark.parametrize(
    ("counts", "outcome", "test"),
    [
        ((100, 40, 100, 3), "verified", "two_proportion_z"),
        ((100, 3, 100, 40), "regressed", "two_proportion_z"),
        ((40, 4, 40, 0), "inconclusive", "fisher_exact"),
        ((40, 8, 40, 0), "verified", "fisher_exact"),
        ((100, 10, 100, 10), "inconclusive", "two_proportion_z"),
        ((29, 29, 100, 0), "insufficient_data", ""),
    ],
)
def test_judge_picks_the_test_and_verdict_when_given_counts(
    counts: tuple[int, int, int, int], outcome: str, test: str
) -> None:
    result = judge(*counts, policy=VerificationPolicy(min_samples=30), window=timedelta(days=1),
                   now=NOW)
    assert (result.outcome, result.test) == (outcome, test)
