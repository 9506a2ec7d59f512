"""Proposals in the API's JSON shape (DESIGN §4), shared by the HTTP routes and the CLI.

    body = proposal_to_dict(proposal, history)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gapwatch.analyzer.proposals.model import HistoryEntry, Proposal

_SUBJECT_KEYS = ("service", "agent", "tool", "target_agent", "error_type", "version")


def proposal_to_dict(
    proposal: Proposal, history: list[HistoryEntry] | None = None
) -> dict[str, Any]:
    subject = {key: str(proposal.subject.get(key) or "") for key in _SUBJECT_KEYS}
    subject.update({k: v for k, v in proposal.subject.items() if k not in subject})
    body: dict[str, Any] = {
        "id": proposal.id,
        "detector": proposal.detector,
        "type": proposal.type,
        "priority": proposal.priority,
        "confidence": proposal.confidence,
        "status": proposal.status.value,
        "title": proposal.title,
        "summary": proposal.summary,
        "subject": subject,
        "evidence": _evidence(proposal),
        "proposed_change": proposal.proposed_change,
        "expected_impact": proposal.expected_impact,
        "risk": proposal.risk,
        "snoozed_until": _iso(proposal.snoozed_until),
        "implemented_version": proposal.implemented_version or None,
        "implemented_at": _iso(proposal.implemented_at),
        "verification": proposal.verification or None,
        "created_at": _iso(proposal.created_at),
        "updated_at": _iso(proposal.updated_at),
    }
    if history is not None:
        body["history"] = [history_to_dict(entry) for entry in history]
    return body


def history_to_dict(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "at": _iso(entry.at),
        "from_status": entry.from_status or None,
        "to_status": entry.to_status,
        "actor": entry.actor,
        "reason": entry.reason,
        "details": entry.details,
    }


def _evidence(proposal: Proposal) -> dict[str, Any]:
    # evidence is stored JSON; a value of the wrong type (a row written by hand or by an older
    # version) becomes its default rather than failing every listing that meets it
    evidence = proposal.evidence
    traces = evidence.get("traces")
    return {
        "count": _int(evidence.get("count"), proposal.evidence_count),
        "sessions": _int(evidence.get("sessions"), 0),
        "traces": [t for t in traces if isinstance(t, str)] if isinstance(traces, list) else [],
        "first_seen": _moment(evidence.get("first_seen")),
        "last_seen": _moment(evidence.get("last_seen")),
        "window": str(evidence.get("window") or ""),
        "metrics": _mapping(evidence.get("metrics")),
        "query": str(evidence.get("query") or ""),
        "parameters": _mapping(evidence.get("parameters")),
    }


def _int(value: Any, default: int) -> int:
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _moment(value: Any) -> str | None:
    """An ISO time as stored, or None when the stored value is not one."""
    if not isinstance(value, str):
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
