"""What the routes share: the store, the proposal service, the analyzer and its scheduler.

    services: Services = Depends(get_services)
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.proposals.service import ProposalService
from gapwatch.analyzer.routes.metrics import ApiMetrics
from gapwatch.analyzer.scheduler import AnalysisScheduler
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    proposals: ProposalService
    analyzer: Analyzer
    scheduler: AnalysisScheduler
    metrics: ApiMetrics


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
