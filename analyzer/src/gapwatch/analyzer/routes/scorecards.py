"""Scorecards from the normalized model: per agent, per tool, and the delegation matrix.

    GET /api/v1/agents?window=7d
    GET /api/v1/tools?window=24h
    GET /api/v1/delegations
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gapwatch.analyzer.auth import require_reader
from gapwatch.analyzer.routes import API_PREFIX
from gapwatch.analyzer.routes.context import Services, get_services
from gapwatch.analyzer.routes.inputs import Window
from gapwatch.analyzer.routes.problems import problem_responses
from gapwatch.analyzer.routes.schemas import AgentScores, DelegationMatrix, ToolScores
from gapwatch.analyzer.windows import parse_window

SQL_PACKAGE = "gapwatch.analyzer.routes"
MAX_ROWS = 1000

router = APIRouter(prefix=API_PREFIX, tags=["scorecards"], dependencies=[Depends(require_reader)],
                   responses=problem_responses(400, 401, 403, 422, 503))
ServicesDep = Annotated[Services, Depends(get_services)]
Limit = Annotated[int, Query(ge=1, le=MAX_ROWS)]


def _rows(services: Services, name: str, window: str, limit: int) -> list[dict[str, Any]]:
    since = datetime.now(UTC) - parse_window(window)
    return services.store.select(SQL_PACKAGE, name, {"since": since, "limit": limit})


@router.get("/agents", response_model=AgentScores)
def agents(services: ServicesDep, window: Window = "7d", limit: Limit = 200) -> dict[str, Any]:
    """Per agent: runs, failures, tool and delegation calls, sessions, tokens, p95 latency."""
    return {"window": window, "agents": _rows(services, "agent_scores", window, limit)}


@router.get("/tools", response_model=ToolScores)
def tools(services: ServicesDep, window: Window = "7d", limit: Limit = 200) -> dict[str, Any]:
    """Per tool: calls by outcome, failure rate, latency, and the agents that use it."""
    rows = _rows(services, "tool_scores", window, limit)
    for row in rows:
        row["last_seen"] = _utc(row["last_seen"])
    return {"window": window, "tools": rows}


@router.get("/delegations", response_model=DelegationMatrix)
def delegations(
    services: ServicesDep, window: Window = "7d", limit: Limit = 500
) -> dict[str, Any]:
    """Who delegates to whom, how often, and how often it fails."""
    edges = _rows(services, "delegations", window, limit)
    names = sorted({e["caller"] for e in edges} | {e["target"] for e in edges})
    return {"window": window, "agents": names, "delegations": edges}


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
