"""Reuse the seeded store of the dashboards tests (same fleet, same proposals)."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "dashboards_conftest", Path(__file__).parents[1] / "dashboards" / "conftest.py")
assert _spec and _spec.loader
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
seeded = _module.seeded
NOW = _module.NOW


@pytest.fixture
def now() -> datetime:
    """The end of the seeded history: report windows end here."""
    return NOW  # type: ignore[no-any-return]
