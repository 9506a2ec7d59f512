"""Reading proposals and recording human decisions on them: what the API and CLI call.

    service = ProposalService(store)
    proposal = service.act("3f2a…", Action.APPROVE, actor="ana", reason="cheap fix")
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from gapwatch.analyzer.errors import ProposalNotFound
from gapwatch.analyzer.proposals.lifecycle import Action, apply_action
from gapwatch.analyzer.proposals.model import HistoryEntry, Proposal
from gapwatch.analyzer.proposals.repository import ProposalFilter, ProposalPage, ProposalRepository
from gapwatch.analyzer.store import Store

logger = logging.getLogger(__name__)


class ProposalService:
    def __init__(self, store: Store):
        self.repository = ProposalRepository(store)

    def page(
        self, where: ProposalFilter | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> ProposalPage:
        return self.repository.page(where or ProposalFilter(), limit=limit, cursor=cursor)

    def get(self, proposal_id: str) -> tuple[Proposal, list[HistoryEntry]]:
        """The proposal and its audit trail, oldest entry first."""
        proposal = self.repository.get(proposal_id)
        if proposal is None:
            raise ProposalNotFound(f"no proposal with id {proposal_id!r}")
        return proposal, self.repository.history(proposal_id)

    def act(
        self,
        proposal_id: str,
        action: Action,
        *,
        actor: str,
        reason: str = "",
        until: datetime | None = None,
        version: str = "",
        shipped_at: datetime | None = None,
        now: datetime | None = None,
    ) -> Proposal:
        """Apply a human decision and audit it; raises on an unknown id or a disallowed move."""
        proposal = self.repository.get(proposal_id)
        if proposal is None:
            raise ProposalNotFound(f"no proposal with id {proposal_id!r}")
        updated, entry = apply_action(
            proposal, action, actor=actor, reason=reason, now=now or datetime.now(UTC),
            until=until, version=version, shipped_at=shipped_at,
        )
        self.repository.save([updated], [entry])
        logger.info("proposal %s: %s → %s by %s", proposal_id, entry.from_status,
                    entry.to_status, actor)
        return updated
