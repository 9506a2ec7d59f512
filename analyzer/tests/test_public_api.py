"""A new public name is a visible change: it must be added here on purpose."""

from __future__ import annotations

import gapwatch.analyzer as analyzer
import gapwatch.analyzer.notify as notify
import gapwatch.analyzer.proposals as proposals
import gapwatch.analyzer.ui as ui

PUBLIC = [
    "Action", "AnalysisRun", "AnalysisScheduler", "Analyzer", "AnalyzerError", "InvalidRequest",
    "InvalidTransition", "Proposal", "ProposalFilter", "ProposalNotFound", "ProposalService",
    "Settings", "Status", "Store", "StoreUnavailable", "VerificationPolicy", "create_app",
    "open_store", "parse_window",
]


def test_public_names_are_exactly_the_listed_ones() -> None:
    assert analyzer.__all__ == PUBLIC
    assert all(hasattr(analyzer, name) for name in PUBLIC)


def test_subpackage_exports_are_sorted_and_importable() -> None:
    for module in (analyzer, proposals, notify, ui):
        # constants, then classes, then functions, each alphabetical (isort's order)
        assert module.__all__ == sorted(
            module.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
        assert all(hasattr(module, name) for name in module.__all__)
