"""Proposals in the API's JSON shape (DESIGN §4), shared by the HTTP routes and the CLI.

    body = proposal_to_dict(proposal, history)
"""

from __future__ import annotations

from typing import Any

from gapwatch.analyzer.proposals.model import HistoryEntry, Proposal

_SUBJECT_KEYS = ("service", "agent", "tool", "target_agent", "error_type", "version")


def proposal_to_dict(
    proposal: Proposal, history: list[HistoryEntry] | None = None
) -> dict[str, Any]:
    subject = {key: proposal.subject.get(key, "") for key in _SUBJECT_KEYS}
    subject.update({k: v for k, v in proposal.subject.items() if k not in subject})
    evidence = dict(proposal.evidence)
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
        "evidence": {
            "count": int(evidence.get("count", proposal.evidence_count)),
            "sessions": int(evidence.get("sessions", 0)),
            "traces": list(evidence.get("traces", [])),
            "first_seen": evidence.get("first_seen"),
            "last_seen": evidence.get("last_seen"),
            "window": evidence.get("window", ""),
            "metrics": dict(evidence.get("metrics", {})),
            "query": evidence.get("query", ""),
            "parameters": dict(evidence.get("parameters", {})),
        },
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


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
