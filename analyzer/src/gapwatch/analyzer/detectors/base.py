"""What every detector is and yields: the contract between detectors and proposals.

class RetryLoopDetector:
    id = "retry_loop"
    version = 1
    def detect(self, context: DetectionContext) -> list[Finding]: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from clickhouse_connect.driver.query import QueryResult


@dataclass(frozen=True)
class Subject:
    """What a finding is about; detector id + subject make a proposal's stable identity."""

    service: str = ""
    agent: str = ""
    tool: str = ""
    target_agent: str = ""
    error_type: str = ""
    version: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # further identifying keys, e.g. ("category", "x")

    def as_dict(self) -> dict[str, str]:
        fields = {
            "service": self.service,
            "agent": self.agent,
            "tool": self.tool,
            "target_agent": self.target_agent,
            "error_type": self.error_type,
            "version": self.version,
        }
        fields.update(dict(self.extra))
        return fields


@dataclass(frozen=True)
class Evidence:
    count: int
    sessions: int
    traces: tuple[str, ...]  # sample trace ids, newest first, at most ~10
    first_seen: datetime
    last_seen: datetime
    window: str
    metrics: dict[str, Any] = field(default_factory=dict)
    query: str = ""  # the exact SQL that produced the finding
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    detector: str
    detector_version: int
    proposal_type: str  # tool_improvement, new_tool, permission_change, timeout_or_caching, …
    priority: str  # high | medium | low
    confidence: float  # 0..1
    subject: Subject
    title: str
    summary: str
    proposed_change: str
    expected_impact: str
    risk: str
    evidence: Evidence
    severity: float = 0.0  # detector-specific magnitude used to compare with past evidence


class QueryClient(Protocol):
    """What detectors query through: the analyzer's ``Store``, which serializes calls on one
    engine session, or a bare clickhouse-connect ``Client`` where nothing else shares it."""

    def query(self, query: str, parameters: dict[str, Any] | None = None) -> QueryResult: ...


@dataclass(frozen=True)
class DetectionContext:
    client: QueryClient
    database: str
    since: datetime
    until: datetime
    window: str
    thresholds: dict[str, Any] = field(default_factory=dict)


class Detector(Protocol):
    id: str
    version: int

    def detect(self, context: DetectionContext) -> list[Finding]: ...
