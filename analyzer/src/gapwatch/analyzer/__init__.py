"""gapwatch analyzer: normalize agent spans, detect capability gaps, propose and verify fixes.

    from gapwatch.analyzer import Analyzer, Settings, create_app, open_store
    store = open_store(Settings())
    run = Analyzer(store).run(window="24h", dry_run=True)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gapwatch.analyzer.analysis import AnalysisRun, Analyzer
    from gapwatch.analyzer.app import create_app
    from gapwatch.analyzer.errors import (
        AnalyzerError,
        InvalidRequest,
        InvalidTransition,
        ProposalNotFound,
        StoreUnavailable,
    )
    from gapwatch.analyzer.proposals import (
        Action,
        Proposal,
        ProposalFilter,
        ProposalService,
        Status,
        VerificationPolicy,
    )
    from gapwatch.analyzer.scheduler import AnalysisScheduler
    from gapwatch.analyzer.settings import Settings
    from gapwatch.analyzer.store import Store, open_store
    from gapwatch.analyzer.windows import parse_window

# Names resolve on first use (PEP 562): the ``gapwatch`` command imports this package before
# it parses a flag, and ``gapwatch --help`` must not wait for FastAPI, SciPy and ClickHouse.
_HOMES = {
    "Action": "gapwatch.analyzer.proposals",
    "AnalysisRun": "gapwatch.analyzer.analysis",
    "AnalysisScheduler": "gapwatch.analyzer.scheduler",
    "Analyzer": "gapwatch.analyzer.analysis",
    "AnalyzerError": "gapwatch.analyzer.errors",
    "InvalidRequest": "gapwatch.analyzer.errors",
    "InvalidTransition": "gapwatch.analyzer.errors",
    "Proposal": "gapwatch.analyzer.proposals",
    "ProposalFilter": "gapwatch.analyzer.proposals",
    "ProposalNotFound": "gapwatch.analyzer.errors",
    "ProposalService": "gapwatch.analyzer.proposals",
    "Settings": "gapwatch.analyzer.settings",
    "Status": "gapwatch.analyzer.proposals",
    "Store": "gapwatch.analyzer.store",
    "StoreUnavailable": "gapwatch.analyzer.errors",
    "VerificationPolicy": "gapwatch.analyzer.proposals",
    "create_app": "gapwatch.analyzer.app",
    "open_store": "gapwatch.analyzer.store",
    "parse_window": "gapwatch.analyzer.windows",
}

__all__ = [
    "Action",
    "AnalysisRun",
    "AnalysisScheduler",
    "Analyzer",
    "AnalyzerError",
    "InvalidRequest",
    "InvalidTransition",
    "Proposal",
    "ProposalFilter",
    "ProposalNotFound",
    "ProposalService",
    "Settings",
    "Status",
    "Store",
    "StoreUnavailable",
    "VerificationPolicy",
    "create_app",
    "open_store",
    "parse_window",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
