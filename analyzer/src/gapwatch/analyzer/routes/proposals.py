"""``/api/v1/proposals``: list with filters and a cursor, read one with its history, decide.

    GET  /api/v1/proposals?status=open&priority=high&limit=20
    POST /api/v1/proposals/{id}/approve  {"reason": "cheap fix"}
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gapwatch.analyzer.auth import Principal, require_admin, require_reader
from gapwatch.analyzer.proposals.lifecycle import Action
from gapwatch.analyzer.proposals.repository import MAX_PAGE, ProposalFilter
from gapwatch.analyzer.proposals.serialize import proposal_to_dict
from gapwatch.analyzer.routes import API_PREFIX
from gapwatch.analyzer.routes.context import Services, get_services
from gapwatch.analyzer.routes.inputs import (
    Cursor,
    DetectorFilter,
    PriorityFilter,
    ProposalId,
    StatusFilter,
    TextFilter,
    split_values,
)
from gapwatch.analyzer.routes.problems import problem_responses
from gapwatch.analyzer.routes.schemas import (
    ActionRequest,
    ProposalList,
    ProposalWithHistory,
)

ServicesDep = Annotated[Services, Depends(get_services)]
_ERRORS = problem_responses(400, 401, 403, 404, 422, 503)
_ACTION_ERRORS = problem_responses(400, 401, 403, 404, 409, 422, 503)

router = APIRouter(prefix=f"{API_PREFIX}/proposals", tags=["proposals"], responses=_ERRORS)


@router.get("", response_model=ProposalList, dependencies=[Depends(require_reader)])
def list_proposals(
    services: ServicesDep,
    status: StatusFilter = None,
    detector: DetectorFilter = None,
    agent: TextFilter = None,
    tool: TextFilter = None,
    priority: PriorityFilter = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Proposals, highest priority first then newest; follow ``next_cursor`` for more."""
    where = ProposalFilter(
        statuses=split_values(status), detectors=split_values(detector),
        agents=split_values(agent), tools=split_values(tool), priorities=split_values(priority),
    )
    page = services.proposals.page(where, limit=limit, cursor=cursor)
    return {
        "proposals": [proposal_to_dict(p) for p in page.proposals],
        "next_cursor": page.next_cursor,
    }


@router.get("/{proposal_id}", response_model=ProposalWithHistory,
            dependencies=[Depends(require_reader)])
def get_proposal(proposal_id: ProposalId, services: ServicesDep) -> dict[str, Any]:
    """One proposal with its evidence and full audit trail."""
    proposal, history = services.proposals.get(proposal_id)
    return proposal_to_dict(proposal, history)


def _decide(
    action: Action, proposal_id: str, body: ActionRequest | None, services: Services,
    principal: Principal,
) -> dict[str, Any]:
    body = body or ActionRequest.model_validate({})
    actor = f"{body.actor} ({principal.actor})" if body.actor else principal.actor
    # until and at arrive checked and in UTC (ActionRequest)
    services.proposals.act(
        proposal_id, action, actor=actor, reason=body.reason, until=body.until,
        version=body.version, shipped_at=body.at,
    )
    proposal, history = services.proposals.get(proposal_id)
    return proposal_to_dict(proposal, history)


Admin = Annotated[Principal, Depends(require_admin)]


@router.post("/{proposal_id}/approve", response_model=ProposalWithHistory,
             responses=_ACTION_ERRORS)
def approve(proposal_id: ProposalId, services: ServicesDep, principal: Admin,
            body: ActionRequest | None = None) -> dict[str, Any]:
    """Approve the proposed change (from open, reopened, snoozed, rejected or regressed)."""
    return _decide(Action.APPROVE, proposal_id, body, services, principal)


@router.post("/{proposal_id}/reject", response_model=ProposalWithHistory,
             responses=_ACTION_ERRORS)
def reject(proposal_id: ProposalId, services: ServicesDep, principal: Admin,
           body: ActionRequest | None = None) -> dict[str, Any]:
    """Reject it; it stays quiet until its evidence grows past today's."""
    return _decide(Action.REJECT, proposal_id, body, services, principal)


@router.post("/{proposal_id}/snooze", response_model=ProposalWithHistory,
             responses=_ACTION_ERRORS)
def snooze(proposal_id: ProposalId, services: ServicesDep, principal: Admin,
           body: ActionRequest | None = None) -> dict[str, Any]:
    """Put it aside until ``until`` (default 7 days); then it is open again."""
    return _decide(Action.SNOOZE, proposal_id, body, services, principal)


@router.post("/{proposal_id}/implemented", response_model=ProposalWithHistory,
             responses=_ACTION_ERRORS)
def implemented(proposal_id: ProposalId, services: ServicesDep, principal: Admin,
                body: ActionRequest | None = None) -> dict[str, Any]:
    """Mark an approved change as shipped (optionally with ``version``); verification follows."""
    return _decide(Action.IMPLEMENTED, proposal_id, body, services, principal)
