"""One analysis run: detect findings, fold them into proposals, verify implemented changes.

    analyzer = Analyzer(store, window="7d", publishers=[webhook])
    run = analyzer.run(dry_run=True)
    run.new, run.updated

Runs are serialized (the scheduler and an on-demand request never interleave their upserts),
recorded in ``gapwatch_analysis_runs``, and a dry run writes nothing at all.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gapwatch.analyzer.detectors.base import DetectionContext, Finding
from gapwatch.analyzer.detectors.traffic import Traffic, measure_traffic
from gapwatch.analyzer.errors import AnalyzerError, DetectorsUnavailable
from gapwatch.analyzer.notify.events import EventKind, ProposalEvent, Publisher
from gapwatch.analyzer.proposals.lifecycle import ChangeKind, expire_snooze, reconcile
from gapwatch.analyzer.proposals.model import (
    PRIORITIES,
    HistoryEntry,
    Proposal,
    Status,
    proposal_id,
)
from gapwatch.analyzer.proposals.repository import ProposalRepository
from gapwatch.analyzer.proposals.rootcause import merge_root_causes
from gapwatch.analyzer.proposals.verification import (
    VerificationPolicy,
    apply_verification,
    verify,
)
from gapwatch.analyzer.store import Store
from gapwatch.analyzer.windows import parse_window

RUNS_TABLE = "gapwatch_analysis_runs"
RUN_COLUMNS = ("id", "started_at", "finished_at", "window", "dry_run", "findings", "new",
               "updated", "error", "details")

logger = logging.getLogger(__name__)

Detect = Callable[[DetectionContext], list[Finding]]


@dataclass(frozen=True)
class AnalysisRun:
    id: str
    started_at: datetime
    finished_at: datetime
    window: str
    dry_run: bool
    findings: int = 0
    new: int = 0
    updated: int = 0
    reopened: int = 0
    suppressed: int = 0
    verified: int = 0
    regressed: int = 0
    error: str = ""
    events: tuple[ProposalEvent, ...] = field(default=(), repr=False)
    # what the window held, and a note when it was too little for any detector to speak
    traffic: Traffic | None = None

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"reopened": self.reopened, "suppressed": self.suppressed,
                                   "verified": self.verified, "regressed": self.regressed}
        if self.traffic is not None:
            details["traffic"] = self.traffic.as_dict()
        return details


class Analyzer:
    """Runs the detectors and keeps proposals in step with what they find."""

    def __init__(
        self,
        store: Store,
        *,
        window: str = "7d",
        thresholds: dict[str, Any] | None = None,
        detect: Detect | None = None,
        publishers: Sequence[Publisher] = (),
        policy: VerificationPolicy | None = None,
        notify_priorities: Sequence[str] = ("high",),
    ):
        parse_window(window)
        self.store = store
        self.window = window
        self.thresholds = dict(thresholds or {})
        self.publishers = list(publishers)
        self.policy = policy or VerificationPolicy()
        self.notify_priorities = frozenset(notify_priorities)
        self.repository = ProposalRepository(store)
        self._detect = detect or _installed_detectors
        self._lock = threading.Lock()
        self.runs_total = 0
        self.failures_total = 0

    def run(
        self,
        *,
        window: str | None = None,
        dry_run: bool = False,
        now: datetime | None = None,
        run_id: str | None = None,
    ) -> AnalysisRun:
        window = window or self.window
        length = parse_window(window)
        run_id = run_id or new_run_id()
        with self._lock:
            started = now or datetime.now(UTC)
            try:
                run = self._run(run_id, started, window, length, dry_run)
            except Exception as error:
                self.failures_total += 1
                logger.exception("analysis %s failed", run_id)
                if not dry_run:
                    failed = AnalysisRun(run_id, started, datetime.now(UTC), window, dry_run,
                                         error=f"{type(error).__name__}: {error}")
                    self._record(failed)
                raise
            self.runs_total += 1
            if not dry_run:
                self._record(run)
                self._publish(run.events)
            logger.info(
                "analysis %s%s: %d findings, %d new, %d updated, %d reopened, %d verified, "
                "%d regressed", run_id, " (dry run)" if dry_run else "", run.findings, run.new,
                run.updated, run.reopened, run.verified, run.regressed,
            )
            if run.traffic is not None and run.traffic.note:
                logger.info("analysis %s: %s", run_id, run.traffic.note)
            return run

    def _run(
        self, run_id: str, now: datetime, window: str, length: timedelta, dry_run: bool
    ) -> AnalysisRun:
        # detectors read the assembled model: everything stored so far is assembled first
        self.store.assemble()
        # the store, not its client: each detector query then takes the store's lock
        context = DetectionContext(self.store, self.store.database, now - length, now,
                                   window, self.thresholds)
        findings = _deduplicate(self._detect(context))
        traffic = _measure(context)
        existing = self.repository.get_many(findings)
        counts = dict.fromkeys(ChangeKind, 0)
        to_save: dict[str, Proposal] = {}
        history: list[HistoryEntry] = []
        events: list[ProposalEvent] = []
        for key, finding in findings.items():
            change = reconcile(existing.get(key), finding, now=now)
            counts[change.kind] += 1
            to_save[key] = change.proposal
            if change.history:
                history.append(change.history)
            if change.kind in (ChangeKind.NEW, ChangeKind.REOPENED) and (
                change.proposal.priority in self.notify_priorities
            ):
                kind = EventKind.NEW if change.kind is ChangeKind.NEW else EventKind.REOPENED
                events.append(ProposalEvent(kind, change.proposal))
        verified = regressed = 0
        for proposal in self.repository.by_status([Status.IMPLEMENTED, Status.SNOOZED]):
            current = to_save.get(proposal.id, proposal)
            if current.status is Status.SNOOZED:
                expired = expire_snooze(current, now=now)
                if expired:
                    to_save[proposal.id], woken = expired
                    history.append(woken)
                continue
            try:
                result = verify(self.store, current, now=now, policy=self.policy)
            except AnalyzerError:
                # one proposal's verification (an odd stored row) must not sink the analysis
                logger.warning("verification of proposal %s failed; the analysis goes on",
                               proposal.id, exc_info=True)
                continue
            if result is None:
                continue
            updated, entry = apply_verification(current, result, now=now)
            to_save[proposal.id] = updated
            if entry:
                history.append(entry)
                verified += updated.status is Status.VERIFIED
                regressed += updated.status is Status.REGRESSED
                if updated.status is Status.REGRESSED:
                    events.append(ProposalEvent(EventKind.REGRESSED, updated))
        if not dry_run:
            self.repository.save(list(to_save.values()), history)
        return AnalysisRun(
            run_id, now, datetime.now(UTC), window, dry_run, findings=len(findings),
            new=counts[ChangeKind.NEW], updated=counts[ChangeKind.UPDATED],
            reopened=counts[ChangeKind.REOPENED], suppressed=counts[ChangeKind.SUPPRESSED],
            verified=verified, regressed=regressed, events=tuple(events), traffic=traffic,
        )

    def _record(self, run: AnalysisRun) -> None:
        self.store.insert(RUNS_TABLE, [[
            run.id, run.started_at, run.finished_at, run.window, run.dry_run, run.findings,
            run.new, run.updated, run.error, json.dumps(run.details()),
        ]], RUN_COLUMNS)

    def _publish(self, events: Sequence[ProposalEvent]) -> None:
        for event in events:
            for publisher in self.publishers:
                try:
                    publisher.publish(event)
                except Exception:  # a broken webhook must not fail the analysis
                    logger.exception("publisher %s failed on %s %s",
                                     type(publisher).__name__, event.kind, event.proposal.id)


def new_run_id() -> str:
    return uuid.uuid4().hex


def run_to_dict(run: AnalysisRun) -> dict[str, Any]:
    """The API's answer to ``POST /api/v1/analyses``."""
    return {
        "id": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "window": run.window,
        "dry_run": run.dry_run,
        "findings": run.findings,
        "proposals": {"new": run.new, "updated": run.updated, "reopened": run.reopened,
                      "suppressed": run.suppressed},
        "verification": {"verified": run.verified, "regressed": run.regressed},
        "error": run.error or None,
        "data": run.traffic.as_dict() if run.traffic is not None else None,
    }


def _deduplicate(findings: list[Finding]) -> dict[str, Finding]:
    """One finding per proposal id, and one proposal per root cause.

    When a detector yields the same subject twice, the stronger evidence wins so the result
    does not depend on row order; findings of one cause then fold into the most specific of
    them (:func:`~gapwatch.analyzer.proposals.rootcause.merge_root_causes`)."""
    chosen: dict[str, Finding] = {}
    for finding in findings:
        key = proposal_id(finding.detector, finding.subject)
        current = chosen.get(key)
        if current is None or _strength(finding) > _strength(current):
            chosen[key] = finding
    leads = merge_root_causes(list(chosen.values()))
    return {proposal_id(lead.detector, lead.subject): lead for lead in leads}


def _strength(finding: Finding) -> tuple[int, float, int, str]:
    rank = -PRIORITIES.index(finding.priority) if finding.priority in PRIORITIES else -9
    return (finding.evidence.count, finding.severity, rank, finding.title)


def _measure(context: DetectionContext) -> Traffic | None:
    """The window's traffic; None (and a warning) when it cannot be measured."""
    try:
        return measure_traffic(context)
    except Exception:  # the verdict on the data must not fail the analysis itself
        logger.warning("could not measure the analysed traffic", exc_info=True)
        return None


def _installed_detectors(context: DetectionContext) -> list[Finding]:
    """Every registered detector, one at a time: a broken one is logged, the others still run."""
    from gapwatch.analyzer import detectors

    run_detectors = getattr(detectors, "run_detectors", None)
    if run_detectors is None:
        raise DetectorsUnavailable("gapwatch.analyzer.detectors has no run_detectors()")
    found: list[Finding] = []
    failed = []
    for detector_id in getattr(detectors, "DETECTOR_IDS", ()):
        try:
            found.extend(run_detectors(context, only=[detector_id]))
        except Exception:
            failed.append(detector_id)
            logger.exception("detector %s failed; the other detectors still ran", detector_id)
    if failed and len(failed) == len(getattr(detectors, "DETECTOR_IDS", ())):
        raise DetectorsUnavailable(f"every detector failed: {', '.join(failed)}")
    return found
