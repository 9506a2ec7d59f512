"""Proposals, their audit trail and their exports in ClickHouse.

    repo = ProposalRepository(store)
    repo.save([proposal], [entry])
    page = repo.page(ProposalFilter(statuses=("open",)), limit=50)

Proposals live in a ``ReplacingMergeTree(updated_at)``: saving writes a new row version and
reads use ``FINAL``, so an update never duplicates a proposal.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gapwatch.analyzer.errors import InvalidRequest
from gapwatch.analyzer.proposals.model import PRIORITIES, HistoryEntry, Proposal, Status
from gapwatch.analyzer.store import Store

SQL_PACKAGE = "gapwatch.analyzer.proposals"
PROPOSALS_TABLE = "gapwatch_proposals"
HISTORY_TABLE = "gapwatch_proposal_history"
EXPORTS_TABLE = "gapwatch_proposal_exports"
PROPOSAL_COLUMNS = (
    "id", "detector", "detector_version", "type", "priority", "confidence", "status", "title",
    "summary", "subject", "service", "agent", "tool", "target_agent", "evidence",
    "evidence_count", "severity", "proposed_change", "expected_impact", "risk", "snoozed_until",
    "implemented_version", "implemented_at", "verification", "baseline_count",
    "baseline_severity", "created_at", "updated_at",
)
HISTORY_COLUMNS = ("proposal_id", "at", "from_status", "to_status", "actor", "reason", "details")
MAX_PAGE = 500

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProposalFilter:
    """List filters; an empty tuple means "any"."""

    statuses: tuple[str, ...] = ()
    detectors: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProposalPage:
    proposals: list[Proposal]
    next_cursor: str | None


@dataclass(frozen=True)
class ExportRecord:
    proposal_id: str
    target: str
    external_id: str
    url: str


class ProposalRepository:
    def __init__(self, store: Store):
        self.store = store

    def get(self, proposal_id: str) -> Proposal | None:
        found = self.get_many([proposal_id])
        return found.get(proposal_id)

    def get_many(self, ids: Iterable[str]) -> dict[str, Proposal]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self.store.select(SQL_PACKAGE, "select_proposals_by_id", {"ids": wanted})
        return {proposal.id: proposal for proposal in _readable(rows)}

    def by_status(self, statuses: Sequence[Status]) -> list[Proposal]:
        rows = self.store.select(
            SQL_PACKAGE, "select_proposals_by_status", {"statuses": [s.value for s in statuses]}
        )
        return _readable(rows)

    def page(
        self, where: ProposalFilter, *, limit: int = 50, cursor: str | None = None
    ) -> ProposalPage:
        """One page, highest priority first then newest; ``next_cursor`` is None at the end."""
        limit = max(1, min(int(limit), MAX_PAGE))
        rank, created, last_id = decode_cursor(cursor) if cursor else (0, 0, "")
        rows = self.store.select(SQL_PACKAGE, "select_proposals", {
            "statuses": list(where.statuses),
            "detectors": list(where.detectors),
            "agents": list(where.agents),
            "tools": list(where.tools),
            "priorities": list(where.priorities),
            "has_cursor": 1 if cursor else 0,
            "cursor_rank": rank,
            "cursor_created": created,
            "cursor_id": last_id,
            # one extra row tells whether another page exists without a count query
            "limit": limit + 1,
        })
        proposals = _readable(rows[:limit])
        # from the last row, read or not: a row passed over must not end the listing
        next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
        return ProposalPage(proposals, next_cursor)

    def history(self, proposal_id: str) -> list[HistoryEntry]:
        rows = self.store.select(SQL_PACKAGE, "select_history", {"proposal_id": proposal_id})
        return [
            HistoryEntry(row["proposal_id"], _utc(row["at"]), row["from_status"],
                         row["to_status"], row["actor"], row["reason"], _json(row["details"]))
            for row in rows
        ]

    def save(self, proposals: Sequence[Proposal], history: Sequence[HistoryEntry] = ()) -> None:
        """Write new row versions and audit entries (history first: never a silent change)."""
        self.store.insert(HISTORY_TABLE, [_history_row(e) for e in history], HISTORY_COLUMNS)
        self.store.insert(PROPOSALS_TABLE, [_to_row(p) for p in proposals], PROPOSAL_COLUMNS)

    def count_by_status(self) -> dict[str, int]:
        rows = self.store.select(SQL_PACKAGE, "count_by_status")
        return {row["status"]: int(row["proposals"]) for row in rows}

    def export_record(self, proposal_id: str, target: str) -> ExportRecord | None:
        rows = self.store.select(
            SQL_PACKAGE, "select_export", {"proposal_id": proposal_id, "target": target}
        )
        if not rows:
            return None
        row = rows[0]
        return ExportRecord(row["proposal_id"], row["target"], row["external_id"], row["url"])

    def record_export(self, record: ExportRecord) -> None:
        self.store.insert(
            EXPORTS_TABLE,
            [[record.proposal_id, record.target, record.external_id, record.url,
              datetime.now(UTC)]],
            ("proposal_id", "target", "external_id", "url", "created_at"),
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT64 = 2**63
_MAX_ID = 200


def decode_cursor(cursor: str) -> tuple[int, int, str]:
    """``next_cursor`` → (priority rank, created_at in µs since 1970, id); raises
    :class:`InvalidRequest` for anything this repository did not hand out.

    The position is compared as an integer in SQL, so any row the table holds — even one whose
    timestamp lies outside DateTime64's documented range — can be paged past."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, created, last_id = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidRequest("invalid cursor: pass next_cursor from the previous page") from None
    valid = (
        type(rank) is int and 0 <= rank <= len(PRIORITIES)
        and type(created) is int and -_INT64 <= created < _INT64
        and isinstance(last_id, str) and len(last_id) <= _MAX_ID
    )
    if not valid:
        raise InvalidRequest("invalid cursor: pass next_cursor from the previous page")
    return rank, created, last_id


def _to_row(p: Proposal) -> list[Any]:
    return [
        p.id, p.detector, p.detector_version, p.type, p.priority, p.confidence, p.status.value,
        p.title, p.summary, _dump(p.subject), p.subject.get("service", ""),
        p.subject.get("agent", ""), p.subject.get("tool", ""), p.subject.get("target_agent", ""),
        _dump(p.evidence), p.evidence_count, p.severity, p.proposed_change, p.expected_impact,
        p.risk, p.snoozed_until, p.implemented_version, p.implemented_at, _dump(p.verification),
        p.baseline_count, p.baseline_severity, p.created_at, p.updated_at,
    ]


def _from_row(row: dict[str, Any]) -> Proposal:
    if row["priority"] not in PRIORITIES:
        raise ValueError(f"unknown priority {row['priority']!r}")
    confidence = float(row["confidence"])
    return Proposal(
        id=row["id"], detector=row["detector"], detector_version=int(row["detector_version"]),
        type=row["type"], priority=row["priority"],
        confidence=round(min(max(confidence, 0.0), 1.0), 4) if confidence == confidence else 0.0,
        status=Status(row["status"]), title=row["title"], summary=row["summary"],
        subject=_json(row["subject"]), evidence=_json(row["evidence"]),
        evidence_count=int(row["evidence_count"]), severity=float(row["severity"]),
        proposed_change=row["proposed_change"], expected_impact=row["expected_impact"],
        risk=row["risk"], created_at=_utc(row["created_at"]), updated_at=_utc(row["updated_at"]),
        snoozed_until=_utc(row["snoozed_until"]) if row["snoozed_until"] else None,
        implemented_version=row["implemented_version"],
        implemented_at=_utc(row["implemented_at"]) if row["implemented_at"] else None,
        verification=_json(row["verification"]), baseline_count=int(row["baseline_count"]),
        baseline_severity=float(row["baseline_severity"]),
    )


def _readable(rows: Iterable[dict[str, Any]]) -> list[Proposal]:
    """The rows that make a proposal; one a newer or broken writer left unreadable is logged
    and passed over, so it cannot fail every listing and analysis that meets it."""
    proposals = []
    for row in rows:
        try:
            proposals.append(_from_row(row))
        except (ValueError, TypeError, KeyError, OverflowError):
            logger.warning("proposal %r: unreadable row skipped", row.get("id"), exc_info=True)
    return proposals


def _history_row(e: HistoryEntry) -> list[Any]:
    return [e.proposal_id, e.at, e.from_status, e.to_status, e.actor, e.reason, _dump(e.details)]


def _encode_cursor(last: dict[str, Any]) -> str:
    created = (_utc(last["created_at"]) - _EPOCH) // timedelta(microseconds=1)
    payload = json.dumps([_rank(last["priority"]), created, last["id"]], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _rank(priority: str) -> int:
    # mirrors indexOf(['high', 'medium', 'low'], priority) in the SQL: 1-based, 0 if unknown
    return PRIORITIES.index(priority) + 1 if priority in PRIORITIES else 0


def _dump(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _json(text: str) -> dict[str, Any]:
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
