"""``POST /api/v1/analyses``: run the detectors now (or queue the run with ``"async": true``).

    POST /api/v1/analyses  {"window": "24h", "dry_run": true}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from gapwatch.analyzer.analysis import new_run_id, run_to_dict
from gapwatch.analyzer.auth import require_admin
from gapwatch.analyzer.routes import API_PREFIX
from gapwatch.analyzer.routes.context import Services, get_services
from gapwatch.analyzer.routes.problems import problem_responses
from gapwatch.analyzer.routes.schemas import Analysis, AnalysisRequest
from gapwatch.analyzer.windows import parse_window

router = APIRouter(
    prefix=f"{API_PREFIX}/analyses",
    tags=["analyses"],
    responses=problem_responses(400, 401, 403, 422, 503),
)


@router.post("", response_model=Analysis, dependencies=[Depends(require_admin)],
             responses={202: {"model": Analysis, "description": "queued (async)"}})
async def run_analysis(
    services: Annotated[Services, Depends(get_services)],
    response: Response,
    body: AnalysisRequest | None = None,
) -> dict[str, Any]:
    """Run every detector over ``window`` and fold the findings into proposals."""
    body = body or AnalysisRequest.model_validate({})
    parse_window(body.window)
    if body.run_async:
        run_id = new_run_id()
        services.scheduler.request(window=body.window, dry_run=body.dry_run, run_id=run_id)
        response.status_code = 202
        return {"id": run_id, "started_at": datetime.now(UTC), "finished_at": None,
                "window": body.window, "dry_run": body.dry_run, "findings": None,
                "proposals": None}
    run = await run_in_threadpool(
        services.analyzer.run, window=body.window, dry_run=body.dry_run
    )
    return run_to_dict(run)
