"""The FastAPI application: routers, problem handlers and the lifespan that owns the store.

    app = create_app(Settings())
    uvicorn.run(app, host="127.0.0.1", port=8080)

Tests and ``gapwatch serve`` may hand in an open :class:`Store` and a ready :class:`Analyzer`;
otherwise the lifespan opens the configured store and builds them from the settings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import timedelta

from fastapi import FastAPI, Request, Response

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.auth import TokenRoles, check_exposure
from gapwatch.analyzer.notify import publishers_from_settings
from gapwatch.analyzer.proposals.service import ProposalService
from gapwatch.analyzer.proposals.verification import VerificationPolicy
from gapwatch.analyzer.routes import (
    analyses,
    health,
    identity,
    proposals,
    report,
    scorecards,
    traces,
)
from gapwatch.analyzer.routes.context import Services
from gapwatch.analyzer.routes.metrics import ApiMetrics
from gapwatch.analyzer.routes.problems import install_problem_handlers
from gapwatch.analyzer.scheduler import AnalysisScheduler, AssemblyPolicy
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store, open_store
from gapwatch.analyzer.ui import install_ui

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    analyzer: Analyzer | None = None,
) -> FastAPI:
    """Build the app; fails fast on an unsafe exposure (no tokens on a public address)."""
    settings = settings or Settings()
    check_exposure(settings)
    app = FastAPI(
        title="gapwatch",
        version="1",
        summary="What your AI agents cannot do yet, from their traces",
        lifespan=_lifespan(settings, store, analyzer),
        docs_url=None,  # served by the UI from packaged assets: /docs works offline
        redoc_url=None,
    )
    app.state.token_roles = TokenRoles(settings)
    metrics = ApiMetrics()
    app.state.metrics = metrics
    install_problem_handlers(app)
    app.middleware("http")(_count_requests(metrics))
    app.include_router(proposals.router, )
    app.include_router(analyses.router, )
    app.include_router(scorecards.router, )
    app.include_router(traces.router)
    app.include_router(report.router)
    app.include_router(identity.router)
    app.include_router(health.router)
    install_ui(app)
    if settings.mcp_path:
        from gapwatch.analyzer.mcp_server import mount_mcp

        app.state.mcp = mount_mcp(app, settings)
    return app


def build_analyzer(settings: Settings, store: Store) -> Analyzer:
    """The analyzer the settings describe: window, verification policy, notifiers."""
    return Analyzer(
        store,
        window=settings.analysis_window,
        publishers=publishers_from_settings(settings, store),
        policy=VerificationPolicy(min_samples=settings.verification_min_samples,
                                  alpha=settings.verification_alpha),
        notify_priorities=[p.strip() for p in settings.notify_priorities.split(",") if p.strip()],
    )


def _lifespan(
    settings: Settings, store: Store | None, analyzer: Analyzer | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_store = store is None
        active = store or open_store(settings)
        active_analyzer = analyzer or build_analyzer(settings, active)
        interval = timedelta(minutes=settings.analysis_interval_minutes)
        assembly = AssemblyPolicy(timedelta(seconds=settings.assembly_interval_seconds),
                                  timedelta(seconds=settings.assembly_settle_seconds))
        scheduler = AnalysisScheduler(active_analyzer, interval, assembly)
        services = Services(settings, active, ProposalService(active), active_analyzer,
                            scheduler, app.state.metrics)
        app.state.services = services
        app.state.metrics.watch(lambda: health.scrape_gauges(services))
        if app.state.token_roles.open:
            logger.warning(
                "API is open: no GAPWATCH_ADMIN_TOKENS or GAPWATCH_READER_TOKENS set; anyone "
                "who can reach %s may read and change proposals", settings.host,
            )
        scheduler.start()
        mcp = getattr(app.state, "mcp", None)
        try:
            # the MCP endpoint's sessions live in a task group of their own
            async with mcp.running() if mcp is not None else nullcontext():
                yield
        finally:
            scheduler.stop()
            if own_store:
                active.close()

    return lifespan


def _count_requests(
    metrics: ApiMetrics,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        # the route template, not the raw path: proposal ids must not become label values
        name = getattr(route, "path", "unmatched")
        metrics.observe(request.method, name, response.status_code,
                        time.perf_counter() - started)
        return response

    return middleware
