"""gapwatch analyzer: normalize agent spans, detect capability gaps, propose and verify fixes."""

from gapwatch.analyzer.settings import Settings

__all__ = ["Settings"]
