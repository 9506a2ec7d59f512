"""``GET /api/v1/whoami``: the role and audit actor of the presented token.

    GET /api/v1/whoami  → {"role": "reader", "actor": "reader-token:1a2b3c4d"}

Clients that act for a person (the MCP server, scripts) ask once and offer only the actions the
token may take. With no tokens configured the API is open and everyone is an admin.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from gapwatch.analyzer.auth import Principal, require_reader
from gapwatch.analyzer.routes import API_PREFIX
from gapwatch.analyzer.routes.problems import problem_responses
from gapwatch.analyzer.routes.schemas import Identity

router = APIRouter(prefix=API_PREFIX, tags=["identity"], responses=problem_responses(401))


@router.get("/whoami", response_model=Identity)
def whoami(principal: Annotated[Principal, Depends(require_reader)]) -> dict[str, Any]:
    """The caller's role (reader or admin) and the actor its decisions are recorded under."""
    return {"role": principal.role.value, "actor": principal.actor}
