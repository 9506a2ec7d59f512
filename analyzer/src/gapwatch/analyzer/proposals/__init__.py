"""Proposals: findings turned into human-gated, audited, verified improvement proposals.

    service = ProposalService(store)
    service.act(proposal_id, Action.APPROVE, actor="ana", reason="cheap fix")
"""

from gapwatch.analyzer.proposals.lifecycle import (
    Action,
    Change,
    ChangeKind,
    allowed_actions,
    apply_action,
    expire_snooze,
    reconcile,
)
from gapwatch.analyzer.proposals.model import (
    PRIORITIES,
    PROPOSAL_TYPES,
    HistoryEntry,
    Proposal,
    Status,
    proposal_id,
)
from gapwatch.analyzer.proposals.repository import (
    ExportRecord,
    ProposalFilter,
    ProposalPage,
    ProposalRepository,
)
from gapwatch.analyzer.proposals.serialize import history_to_dict, proposal_to_dict
from gapwatch.analyzer.proposals.service import ProposalService
from gapwatch.analyzer.proposals.verification import (
    Verification,
    VerificationPolicy,
    apply_verification,
    judge,
    verify,
)

__all__ = [
    "PRIORITIES",
    "PROPOSAL_TYPES",
    "Action",
    "Change",
    "ChangeKind",
    "ExportRecord",
    "HistoryEntry",
    "Proposal",
    "ProposalFilter",
    "ProposalPage",
    "ProposalRepository",
    "ProposalService",
    "Status",
    "Verification",
    "VerificationPolicy",
    "allowed_actions",
    "apply_action",
    "apply_verification",
    "expire_snooze",
    "history_to_dict",
    "judge",
    "proposal_id",
    "proposal_to_dict",
    "reconcile",
    "verify",
]
