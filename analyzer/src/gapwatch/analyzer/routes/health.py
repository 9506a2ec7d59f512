"""Liveness, readiness and Prometheus metrics; outside ``/api/v1`` and without tokens.

    GET /healthz   the process answers
    GET /readyz    ClickHouse answers too
    GET /metrics   Prometheus text
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client.core import GaugeMetricFamily

from gapwatch.analyzer.errors import AnalyzerError
from gapwatch.analyzer.routes.context import Services, get_services
from gapwatch.analyzer.routes.metrics import CONTENT_TYPE
from gapwatch.analyzer.routes.schemas import Health

router = APIRouter(tags=["health"])
ServicesDep = Annotated[Services, Depends(get_services)]


@router.get("/healthz", response_model=Health)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(services: ServicesDep) -> JSONResponse:
    if services.store.ping():
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "store unavailable"}, status_code=503)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}})
def metrics(services: ServicesDep) -> Response:
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)


def scrape_gauges(services: Services) -> Iterator[GaugeMetricFamily]:
    """Gauges read at scrape time: proposals by status and the scheduler's counters."""
    proposals = GaugeMetricFamily("gapwatch_proposals", "proposals by status", labels=["status"])
    try:
        for status, count in sorted(services.proposals.repository.count_by_status().items()):
            proposals.add_metric([status], count)
    except AnalyzerError:
        pass  # an unavailable store shows as missing samples, not as a failed scrape
    yield proposals
    analyzer = services.analyzer
    yield GaugeMetricFamily("gapwatch_analysis_runs", "analysis runs since start",
                            value=analyzer.runs_total)
    yield GaugeMetricFamily("gapwatch_analysis_failures", "failed analysis runs since start",
                            value=analyzer.failures_total)
