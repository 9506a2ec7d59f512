"""The weekly review, always current: the report ``gapwatch report`` writes, served by the API.

    GET /api/v1/report?window=7d&format=html
    GET /api/v1/report?format=md

This is how ``gapwatch report`` works while ``gapwatch serve`` holds an embedded store. Sample
trace ids link to the UI's trace view on this server (or under ``GAPWATCH_PUBLIC_URL``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from gapwatch.analyzer.auth import require_reader
from gapwatch.analyzer.report import collect_report, render_html, render_markdown
from gapwatch.analyzer.routes import API_PREFIX
from gapwatch.analyzer.routes.context import Services, get_services
from gapwatch.analyzer.routes.inputs import Window
from gapwatch.analyzer.routes.problems import problem_responses

router = APIRouter(prefix=API_PREFIX, tags=["report"], dependencies=[Depends(require_reader)],
                   responses=problem_responses(401, 403, 422, 503))
ServicesDep = Annotated[Services, Depends(get_services)]

_MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


@router.get(
    "/report",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}, "text/html": {}},
                     "description": "the review as Markdown or as a self-contained HTML page"}},
)
def report(
    request: Request,
    services: ServicesDep,
    window: Window = "7d",
    format: Annotated[Literal["md", "html"], Query(description="md or html")] = "html",
) -> Response:
    """The review of a window against the one before: failure patterns, proposals,
    scorecards, trends and verification results."""
    with services.store.session() as client:
        data = collect_report(client, window.strip())
    trace_link = trace_link_template(services.settings.public_url or str(request.base_url))
    text = (render_html(data, trace_link=trace_link) if format == "html"
            else render_markdown(data, trace_link=trace_link))
    response_class = HTMLResponse if format == "html" else PlainTextResponse
    return response_class(text, media_type=_MEDIA_TYPES[format])


def trace_link_template(base_url: str) -> str:
    """The UI's trace view under ``base_url``, with ``{trace_id}`` left to fill in."""
    return base_url.rstrip("/") + "/traces/{trace_id}"
