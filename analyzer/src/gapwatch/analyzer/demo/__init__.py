"""``gapwatch demo``: a simulated agent fleet with injected gaps, end to end through gapwatch."""

from gapwatch.analyzer.demo.fleet import Fleet, FleetOptions, FleetStats
from gapwatch.analyzer.demo.runner import DemoOptions, DemoSummary, run_demo

__all__ = ["DemoOptions", "DemoSummary", "Fleet", "FleetOptions", "FleetStats", "run_demo"]
