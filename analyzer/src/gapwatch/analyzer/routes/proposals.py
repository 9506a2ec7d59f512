"""``/api/v1/proposals``: list with filters and a cursor, read one with its history, decide.

    GET  /api/v1/proposals?status=open&priority=high&limit=20
    POST /api/v1/proposals/{id}/approve  {"reason": "cheap fix"}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gapwatch.analyzer.auth import Principal, require_admin, require_reader
from gapwatch.analyzer.proposals.lifecycle import Action
from gapwatch.analyzer.proposals.repository import MAX_PAGE, ProposalFilter
from gapwatch.analyzer.proposals.serialize import proposal_to_dict
from gapwatch.analyzer.routes import API_PREFIX
from gapwatch.analyzer.routes.context import Services, get_services
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


def _values(raw: str | None) -> tuple[str, ...]:
    """A filter accepts one value or a comma-separated list."""
    return tuple(v.strip() for v in (raw or "").split(",") if v.strip())


@router.get("", response_model=ProposalList, dependencies=[Depends(require_reader)])
def list_proposals(
    services: ServicesDep,
    status: Annotated[str | None, Query(max_length=200, description="e.g. open,reopened")] = None,
    detector: Annotated[str | None, Query(max_length=500)] = None,
    agent: Annotated[str | None, Query(max_length=500)] = None,
    tool: Annotated[str | None, Query(max_length=500)] = None,
    priority: Annotated[str | None, Query(max_length=100, description="high,medium,low")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    """Proposals, highest priority first then newest; follow ``next_cursor`` for more."""
    where = ProposalFilter(
        statuses=_values(status), detectors=_values(detector), agents=_values(agent),
        tools=_values(tool), priorities=_values(priority),
    )
    page = services.proposals.page(where, limit=limit, cursor=cursor or None)
    return {
        "proposals": [proposal_to_dict(p) for p in page.proposals],
        "next_cursor": page.next_cursor,
    }


@router.get("/{proposal_id}", response_model=ProposalWithHistory,
            dependencies=[Depends(require_reader)])
def get_proposal(proposal_id: str, services: ServicesDep) -> dict[str, Any]:
    """One proposal with its evidence and full audit trail."""
    proposal, history = services.proposals.get(proposal_id)
    return proposal_to_dict(proposal, history)


def _decide(
    action: Action, proposal_id: str, body: ActionRequest | None, services: Services,
    principal: Principal,
) -> dict[str, Any]:
    body = body or ActionRequest.model_validate({})
    actor = f"{body.actor} ({principal.actor})" if body.actor else principal.actor
    services.proposals.act(
        proposal_id, action, actor=actor, reason=body.reason, until=_utc(body.until),
        version=body.version, shipped_at=_utc(body.at),
    )
    proposal, history = services.proposals.get(proposal_id)
    return proposal_to_dict(proposal, history)


def _utc(moment: datetime | None) -> datetime | None:
    """A time without zone (``2030-01-01``) is read as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


Admin = Annotated[Principal, Depends(require_admin)]


@router.post("/{proposal_id}/approve", response_model=ProposalWithHistory,
             responses=_ACTION_ERRORS)
def approve(proposal_id: str, services: ServicesDep, principal: Admin,
            body: ActionRequest | None = None) -> dict[str, Any]:
    """Approve the proposed change (from open, reopened, snoozed, rejected or regressed)."""
    return _decide(Action.APPROVE, proposal_id, body, services, principal)


@router.post("/{proposal_id}/reject", response_model=ProposalWithHistory,
             responses=_ACTION_ERRORS)
def reject(proposal_id: str, services: ServicesDep, principal: Admin,
           body: ActionRequest | None = None) -> dict[str, Any]:
    """Reject it; it stays quiet until its evidence grows past today's."""
    return _decide(Action.REJECT, proposal_id, body, services, principal)


@router.post("/{proposal_id}/snooze", response_model=ProposalWithHistory,
             responses=_ACTION_ERRORS)
def snooze(proposal_id: str, services: ServicesDep, principal: Admin,
           body: ActionRequest | None = None) -> dict[str, Any]:
    """Put it aside until ``until`` (default 7 days); then it is open again."""
    return _decide(Action.SNOOZE, proposal_id, body, services, principal)


@router.post("/{proposal_id}/implemented", response_model=ProposalWithHistory,
             responses=_ACTION_ERRORS)
def implemented(proposal_id: str, services: ServicesDep, principal: Admin,
                body: ActionRequest | None = None) -> dict[str, Any]:
    """Mark an approved change as shipped (optionally with ``version``); verification follows."""
    return _decide(Action.IMPLEMENTED, proposal_id, body, services, principal)
