"""What the analysis tells the outside world about, and the seam every notifier implements.

    publisher.publish(ProposalEvent(EventKind.REGRESSED, proposal))
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gapwatch.analyzer.proposals.model import Proposal


class EventKind(StrEnum):
    NEW = "new"  # a new proposal at or above the notification priority
    REOPENED = "reopened"  # a verified or rejected problem came back worse
    REGRESSED = "regressed"  # verification found the change made things worse


@dataclass(frozen=True)
class ProposalEvent:
    kind: EventKind
    proposal: Proposal


class Publisher(Protocol):
    """Delivers events somewhere; failures are the publisher's to log, never the analysis'."""

    def publish(self, event: ProposalEvent) -> None: ...
