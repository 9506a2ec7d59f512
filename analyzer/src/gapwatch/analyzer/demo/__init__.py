"""``gapwatch demo``: a simulated agent fleet with injected gaps, end to end through gapwatch;
and synthetic fleets (healthy, or with a gap of every kind) for measuring precision."""

from gapwatch.analyzer.demo.fleet import LEDGER, Fleet, FleetOptions, FleetStats, InjectedGap
from gapwatch.analyzer.demo.runner import DemoOptions, DemoSummary, run_demo
from gapwatch.analyzer.demo.synthetic import (
    CONVENTIONS,
    GAP_KINDS,
    SyntheticFleet,
    SyntheticOptions,
)

__all__ = [
    "CONVENTIONS",
    "DemoOptions",
    "DemoSummary",
    "Fleet",
    "FleetOptions",
    "FleetStats",
    "GAP_KINDS",
    "InjectedGap",
    "LEDGER",
    "SyntheticFleet",
    "SyntheticOptions",
    "run_demo",
]
