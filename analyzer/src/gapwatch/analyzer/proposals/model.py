"""The proposal as gapwatch stores it, its statuses, and its audit entries.

    proposal = Proposal.from_finding(finding, now=now)
    proposal.status is Status.OPEN
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from gapwatch.analyzer.detectors.base import Evidence, Finding, Subject

PRIORITIES = ("high", "medium", "low")
PROPOSAL_TYPES = (
    "tool_improvement",
    "new_tool",
    "permission_change",
    "timeout_or_caching",
    "delegation_routing",
    "new_agent",
    "prompt_update",
    "config_change",
    "cost_reduction",
    "investigate",
)
SYSTEM_ACTOR = "gapwatch"


class Status(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    SNOOZED = "snoozed"
    IMPLEMENTED = "implemented"
    VERIFIED = "verified"
    REGRESSED = "regressed"
    REOPENED = "reopened"


@dataclass(frozen=True)
class Proposal:
    """One improvement proposal; ``baseline_*`` hold the evidence when the status was entered.

    The baseline is what "grows past its evidence at rejection" and "comes back worse after
    verification" are measured against.
    """

    id: str
    detector: str
    detector_version: int
    type: str
    priority: str
    confidence: float
    status: Status
    title: str
    summary: str
    subject: dict[str, str]
    evidence: dict[str, Any]
    evidence_count: int
    severity: float
    proposed_change: str
    expected_impact: str
    risk: str
    created_at: datetime
    updated_at: datetime
    snoozed_until: datetime | None = None
    implemented_version: str = ""
    implemented_at: datetime | None = None
    verification: dict[str, Any] = field(default_factory=dict)
    baseline_count: int = 0
    baseline_severity: float = 0.0

    @classmethod
    def from_finding(cls, finding: Finding, *, now: datetime) -> Proposal:
        return cls(
            id=proposal_id(finding.detector, finding.subject),
            detector=finding.detector,
            detector_version=finding.detector_version,
            type=finding.proposal_type,
            priority=finding.priority,
            confidence=float(finding.confidence),
            status=Status.OPEN,
            title=finding.title,
            summary=finding.summary,
            subject=finding.subject.as_dict(),
            evidence=evidence_dict(finding.evidence),
            evidence_count=int(finding.evidence.count),
            severity=float(finding.severity),
            proposed_change=finding.proposed_change,
            expected_impact=finding.expected_impact,
            risk=finding.risk,
            created_at=now,
            updated_at=now,
        )

    def with_finding(self, finding: Finding, *, now: datetime) -> Proposal:
        """This proposal with the finding's newer text and evidence; identity and state kept."""
        return replace(
            self,
            detector_version=finding.detector_version,
            type=finding.proposal_type,
            priority=finding.priority,
            confidence=float(finding.confidence),
            title=finding.title,
            summary=finding.summary,
            evidence=evidence_dict(finding.evidence),
            evidence_count=int(finding.evidence.count),
            severity=float(finding.severity),
            proposed_change=finding.proposed_change,
            expected_impact=finding.expected_impact,
            risk=finding.risk,
            updated_at=now,
        )


@dataclass(frozen=True)
class HistoryEntry:
    proposal_id: str
    at: datetime
    from_status: str
    to_status: str
    actor: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def proposal_id(detector: str, subject: Subject) -> str:
    """The stable identity: a digest of the detector id and the subject's non-empty keys.

    Empty keys are left out so a detector adding a new, unset subject key keeps old ids.
    """
    keys = sorted((k, v) for k, v in subject.as_dict().items() if v)
    payload = json.dumps([detector, keys], separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def evidence_dict(evidence: Evidence) -> dict[str, Any]:
    """Evidence in the API's shape, with the query that produced it for reproduction."""
    return {
        "count": int(evidence.count),
        "sessions": int(evidence.sessions),
        "traces": list(evidence.traces),
        "first_seen": _iso(evidence.first_seen),
        "last_seen": _iso(evidence.last_seen),
        "window": evidence.window,
        "metrics": {k: _jsonable(v) for k, v in evidence.metrics.items()},
        "query": evidence.query,
        "parameters": {k: _jsonable(v) for k, v in evidence.parameters.items()},
    }


def _iso(value: datetime) -> str:
    return value.isoformat()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
