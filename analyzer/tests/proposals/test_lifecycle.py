from __future__ import annotations

from datetime import timedelta

import pytest
from proposal_factories import NOW, make_finding

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.detectors.base import Finding
from gapwatch.analyzer.errors import InvalidRequest, InvalidTransition, ProposalNotFound
from gapwatch.analyzer.proposals import Action, ProposalService, Status, proposal_id
from gapwatch.analyzer.store import Store


class Detections:
    """Stands in for the detector set: returns whatever findings the test sets."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def __call__(self, context: object) -> list[Finding]:
        return list(self.findings)


def _analyzer(store: Store) -> tuple[Analyzer, Detections]:
    detections = Detections()
    return Analyzer(store, detect=detections), detections


def _rows(store: Store, table: str) -> int:
    final = " FINAL" if table == "gapwatch_proposals" else ""
    return int(store.client.command(f"SELECT count() FROM {store.database}.{table}{final}"))


def test_reanalysis_updates_evidence_when_the_same_subject_is_found_again(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding(count=10)]
    first = analyzer.run(now=NOW)
    detections.findings = [make_finding(count=25, title="search fails 25 times")]
    second = analyzer.run(now=NOW + timedelta(hours=1))

    assert (first.new, first.updated, second.new, second.updated) == (1, 0, 0, 1)
    assert _rows(store, "gapwatch_proposals") == 1
    proposal, history = ProposalService(store).get(proposal_id("tool_failure_hotspot",
                                                               make_finding().subject))
    assert proposal.evidence_count == 25 and proposal.title == "search fails 25 times"
    assert proposal.created_at == NOW and proposal.status is Status.OPEN
    assert [(h.from_status, h.to_status, h.actor) for h in history] == [("", "open", "gapwatch")]


def test_distinct_subjects_get_distinct_ids_when_analysed(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding(tool="search"), make_finding(tool="fetch"),
                           make_finding(tool="search", detector="retry_loop")]
    assert analyzer.run(now=NOW).new == 3
    assert _rows(store, "gapwatch_proposals") == 3


def test_dry_run_writes_nothing_when_findings_exist(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding()]
    run = analyzer.run(now=NOW, dry_run=True)
    assert run.new == 1 and run.dry_run
    for table in ("gapwatch_proposals", "gapwatch_proposal_history", "gapwatch_analysis_runs"):
        assert _rows(store, table) == 0


def test_runs_are_recorded_when_not_dry(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding(), make_finding(tool="fetch")]
    run = analyzer.run(now=NOW, window="24h")
    row = store.client.query(
        f"SELECT id, `window`, dry_run, findings, new, updated, error "
        f"FROM {store.database}.gapwatch_analysis_runs"
    ).result_rows
    assert row == [(run.id, "24h", False, 2, 2, 0, "")]


def test_every_human_transition_is_audited_with_actor_and_reason(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding()]
    analyzer.run(now=NOW)
    service = ProposalService(store)
    pid = proposal_id("tool_failure_hotspot", make_finding().subject)
    service.act(pid, Action.SNOOZE, actor="bo", reason="after launch",
                until=NOW + timedelta(days=3), now=NOW)
    service.act(pid, Action.APPROVE, actor="ana", reason="cheap fix", now=NOW)
    done = service.act(pid, Action.IMPLEMENTED, actor="ana", reason="shipped", version="v2",
                       now=NOW)
    assert done.status is Status.IMPLEMENTED and done.implemented_version == "v2"
    _, history = service.get(pid)
    assert [(h.from_status, h.to_status, h.actor, h.reason) for h in history] == [
        ("", "open", "gapwatch", "raised by analysis"),
        ("open", "snoozed", "bo", "after launch"),
        ("snoozed", "approved", "ana", "cheap fix"),
        ("approved", "implemented", "ana", "shipped"),
    ]
    assert history[3].details["version"] == "v2"


def test_implemented_is_refused_when_nobody_approved(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding()]
    analyzer.run(now=NOW)
    pid = proposal_id("tool_failure_hotspot", make_finding().subject)
    with pytest.raises(InvalidTransition, match="allowed now: approve, reject, snooze"):
        ProposalService(store).act(pid, Action.IMPLEMENTED, actor="x", now=NOW)
    with pytest.raises(ProposalNotFound):
        ProposalService(store).act("nope", Action.APPROVE, actor="x")
    with pytest.raises(InvalidRequest):
        ProposalService(store).act(pid, Action.SNOOZE, actor="x", until=NOW - timedelta(1),
                                   now=NOW)


def test_rejected_proposal_stays_quiet_when_evidence_does_not_grow(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding(count=10)]
    analyzer.run(now=NOW)
    pid = proposal_id("tool_failure_hotspot", make_finding().subject)
    ProposalService(store).act(pid, Action.REJECT, actor="ana", reason="by design", now=NOW)

    detections.findings = [make_finding(count=9)]
    run = analyzer.run(now=NOW + timedelta(hours=1))
    assert (run.new, run.suppressed, run.reopened) == (0, 1, 0)
    assert ProposalService(store).get(pid)[0].status is Status.REJECTED

    detections.findings = [make_finding(count=10)]
    assert analyzer.run(now=NOW + timedelta(hours=2)).suppressed == 1


def test_rejected_proposal_reopens_when_evidence_grows_past_rejection(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding(count=10)]
    analyzer.run(now=NOW)
    pid = proposal_id("tool_failure_hotspot", make_finding().subject)
    ProposalService(store).act(pid, Action.REJECT, actor="ana", reason="by design", now=NOW)
    detections.findings = [make_finding(count=11)]
    run = analyzer.run(now=NOW + timedelta(hours=1))
    assert run.reopened == 1
    proposal, history = ProposalService(store).get(pid)
    assert proposal.status is Status.REOPENED
    assert history[-1].from_status == "rejected" and "11 occurrences now vs 10" in (
        history[-1].reason)


def test_snooze_ends_when_its_date_has_passed(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding()]
    analyzer.run(now=NOW)
    pid = proposal_id("tool_failure_hotspot", make_finding().subject)
    ProposalService(store).act(pid, Action.SNOOZE, actor="bo", until=NOW + timedelta(days=1),
                               now=NOW)
    analyzer.run(now=NOW + timedelta(hours=12))
    assert ProposalService(store).get(pid)[0].status is Status.SNOOZED
    analyzer.run(now=NOW + timedelta(days=2))
    proposal, history = ProposalService(store).get(pid)
    assert proposal.status is Status.OPEN and proposal.snoozed_until is None
    assert history[-1].reason == "snooze ended"


def test_duplicate_findings_for_one_subject_keep_the_strongest(store: Store) -> None:
    analyzer, detections = _analyzer(store)
    detections.findings = [make_finding(count=3), make_finding(count=30), make_finding(count=7)]
    run = analyzer.run(now=NOW)
    assert (run.findings, run.new) == (1, 1)
    pid = proposal_id("tool_failure_hotspot", make_finding().subject)
    assert ProposalService(store).get(pid)[0].evidence_count == 30

