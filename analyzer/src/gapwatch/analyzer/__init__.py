"""gapwatch analyzer: normalize agent spans, detect capability gaps, propose and verify fixes.

    from gapwatch.analyzer import Analyzer, Settings, create_app, open_store
    store = open_store(Settings())
    run = Analyzer(store).run(window="24h", dry_run=True)
"""

from gapwatch.analyzer.analysis import AnalysisRun, Analyzer, parse_window
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
