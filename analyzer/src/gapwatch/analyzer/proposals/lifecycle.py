"""Lifecycle rules: which human actions are allowed from which status, and what re-analysis does.

    proposal, entry = apply_action(proposal, Action.APPROVE, actor="ana", reason="ok", now=now)
    change = reconcile(existing, finding, now=now)

``open → approved | rejected | snoozed → implemented → verified | regressed``; ``reopened``
when a verified or rejected problem comes back worse. Pure functions: the repository stores
what they return, so the rules are tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from gapwatch.analyzer.detectors.base import Finding
from gapwatch.analyzer.errors import InvalidRequest, InvalidTransition
from gapwatch.analyzer.proposals.model import SYSTEM_ACTOR, HistoryEntry, Proposal, Status

DEFAULT_SNOOZE = timedelta(days=7)


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SNOOZE = "snooze"
    IMPLEMENTED = "implemented"


# how each action reads after "cannot …" in an error ("cannot implemented" did not)
_VERB = {Action.APPROVE: "approve", Action.REJECT: "reject", Action.SNOOZE: "snooze",
         Action.IMPLEMENTED: "mark as implemented"}


class ChangeKind(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    REOPENED = "reopened"
    SUPPRESSED = "suppressed"  # rejected and not grown: evidence refreshed, nobody is bothered


_TARGET = {
    Action.APPROVE: Status.APPROVED,
    Action.REJECT: Status.REJECTED,
    Action.SNOOZE: Status.SNOOZED,
    Action.IMPLEMENTED: Status.IMPLEMENTED,
}
_ALLOWED_FROM: dict[Action, frozenset[Status]] = {
    Action.APPROVE: frozenset(
        {Status.OPEN, Status.REOPENED, Status.SNOOZED, Status.REJECTED, Status.REGRESSED}
    ),
    Action.REJECT: frozenset(
        {Status.OPEN, Status.REOPENED, Status.SNOOZED, Status.APPROVED, Status.REGRESSED}
    ),
    Action.SNOOZE: frozenset({Status.OPEN, Status.REOPENED, Status.APPROVED, Status.REGRESSED}),
    # human-gated: a change is implemented only after someone approved it (a regressed fix can
    # be implemented again with a new version)
    Action.IMPLEMENTED: frozenset({Status.APPROVED, Status.REGRESSED}),
}
# statuses in which a recurring finding simply refreshes the evidence
_QUIET = frozenset(
    {Status.OPEN, Status.REOPENED, Status.APPROVED, Status.SNOOZED, Status.IMPLEMENTED,
     Status.REGRESSED}
)


@dataclass(frozen=True)
class Change:
    """What reconciling one finding did: the proposal to store and its audit entry, if any."""

    kind: ChangeKind
    proposal: Proposal
    history: HistoryEntry | None = None


def allowed_actions(status: Status) -> list[str]:
    return [action.value for action, sources in _ALLOWED_FROM.items() if status in sources]


def apply_action(
    proposal: Proposal,
    action: Action,
    *,
    actor: str,
    reason: str,
    now: datetime,
    until: datetime | None = None,
    version: str = "",
    shipped_at: datetime | None = None,
) -> tuple[Proposal, HistoryEntry]:
    """A human decision on ``proposal``; raises :class:`InvalidTransition` when not allowed.

    ``shipped_at`` (for ``implemented``) is when the change went live if that was earlier than
    now: verification compares the traffic before and after that moment.
    """
    if proposal.status not in _ALLOWED_FROM[action]:
        raise InvalidTransition(
            f"cannot {_VERB[action]} a proposal that is {proposal.status.value}; allowed now: "
            + (", ".join(allowed_actions(proposal.status)) or "none")
        )
    now = max(now, _after(proposal.updated_at))
    target = _TARGET[action]
    details: dict[str, Any] = {"evidence_count": proposal.evidence_count}
    changes: dict[str, Any] = {"status": target, "updated_at": now}
    if action is Action.SNOOZE:
        until = until or now + DEFAULT_SNOOZE
        if until <= now:
            raise InvalidRequest("snooze 'until' must be in the future")
        changes["snoozed_until"] = until
        details["until"] = until.isoformat()
    else:
        changes["snoozed_until"] = None
    if action is Action.REJECT:
        # what a look-alike must grow past before it is raised again
        changes["baseline_count"] = proposal.evidence_count
        changes["baseline_severity"] = proposal.severity
    if action is Action.IMPLEMENTED:
        shipped = shipped_at or now
        if shipped > now:
            raise InvalidRequest("'at' (when the change shipped) cannot be in the future")
        changes["implemented_version"] = version
        changes["implemented_at"] = shipped
        changes["verification"] = {}
        details.update(version=version, shipped_at=shipped.isoformat())
    entry = HistoryEntry(proposal.id, now, proposal.status.value, target.value, actor, reason,
                         details)
    return replace(proposal, **changes), entry


def reconcile(existing: Proposal | None, finding: Finding, *, now: datetime) -> Change:
    """Fold a fresh finding into the stored proposal with the same id (or create it)."""
    if existing is None:
        proposal = Proposal.from_finding(finding, now=now)
        entry = HistoryEntry(proposal.id, now, "", Status.OPEN.value, SYSTEM_ACTOR,
                             "raised by analysis", {"evidence_count": proposal.evidence_count})
        return Change(ChangeKind.NEW, proposal, entry)
    refreshed = existing.with_finding(finding, now=max(now, _after(existing.updated_at)))
    if existing.status in _QUIET:
        return Change(ChangeKind.UPDATED, refreshed)
    # rejected or verified: raise it again only when it is worse than when that was decided
    if refreshed.evidence_count <= existing.baseline_count:
        kind = ChangeKind.SUPPRESSED if existing.status is Status.REJECTED else ChangeKind.UPDATED
        return Change(kind, refreshed)
    reason = (
        f"came back worse after being {existing.status.value}: {refreshed.evidence_count} "
        f"occurrences now vs {existing.baseline_count} then"
    )
    reopened = replace(refreshed, status=Status.REOPENED)
    entry = HistoryEntry(existing.id, reopened.updated_at, existing.status.value,
                         Status.REOPENED.value, SYSTEM_ACTOR, reason,
                         {"evidence_count": refreshed.evidence_count,
                          "baseline_count": existing.baseline_count})
    return Change(ChangeKind.REOPENED, reopened, entry)


def expire_snooze(proposal: Proposal, *, now: datetime) -> tuple[Proposal, HistoryEntry] | None:
    """Back to ``open`` once the snooze date has passed."""
    if proposal.status is not Status.SNOOZED or (
        proposal.snoozed_until is not None and proposal.snoozed_until > now
    ):
        return None
    stamp = max(now, _after(proposal.updated_at))
    entry = HistoryEntry(proposal.id, stamp, Status.SNOOZED.value, Status.OPEN.value,
                         SYSTEM_ACTOR, "snooze ended", {})
    return replace(proposal, status=Status.OPEN, snoozed_until=None, updated_at=stamp), entry


def _after(moment: datetime) -> datetime:
    # ReplacingMergeTree keeps the row with the highest updated_at: every write must move it on
    return moment + timedelta(microseconds=1)
