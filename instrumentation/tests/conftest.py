"""Fixtures for the instrumentation tests: an in-memory span recorder per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gapwatch.instrumentation._diagnostics import reset_warnings
from gapwatch.instrumentation.testing import SpanRecorder, capture_spans


@pytest.fixture
def spans() -> Iterator[SpanRecorder]:
    reset_warnings()
    with capture_spans() as recorder:
        yield recorder


@pytest.fixture
def content_spans() -> Iterator[SpanRecorder]:
    """Spans recorded with content capture on (default redactor, 4096-character cap)."""
    reset_warnings()
    with capture_spans(capture_content=True) as recorder:
        yield recorder
