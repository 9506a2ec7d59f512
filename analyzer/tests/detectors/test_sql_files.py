"""Each `.sql` file's `{name:Type}` placeholders are exactly the parameters its caller binds."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from gapwatch.analyzer.detectors import DETECTORS, DetectionContext, get_detector, run_detectors
from gapwatch.analyzer.detectors._sql import load_sql, placeholders, thresholds_for
from gapwatch.analyzer.detectors.config import RetryLoopThresholds
from gapwatch.analyzer.model import _backfill

CONTEXT = DetectionContext(
    client=None,  # type: ignore[arg-type]  # parameters() never touches the client
    database="db",
    since=datetime(2026, 1, 1, tzinfo=UTC),
    until=datetime(2026, 1, 8, tzinfo=UTC),
    window="7d",
)


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.id)
def test_detector_sql_placeholders_match_parameters(detector: Any) -> None:
    sql = load_sql(detector.id)
    assert set(placeholders(sql)) == set(detector.parameters(CONTEXT))
    lines = sql.splitlines()
    assert lines[0].startswith("-- Returns") and lines[1].startswith("-- Parameters:")


TWO_QUERY_DETECTORS = [d for d in DETECTORS if hasattr(d, "evidence_parameters")]


@pytest.mark.parametrize("detector", TWO_QUERY_DETECTORS, ids=lambda d: d.id)
def test_evidence_sql_placeholders_match_parameters(detector: Any) -> None:
    """A screening query's detector binds its evidence query's placeholders, subjects included."""
    sql = load_sql(f"{detector.id}_evidence")
    assert set(placeholders(sql)) == set(detector.evidence_parameters(CONTEXT, []))
    assert "subjects" in placeholders(sql)
    lines = sql.splitlines()
    assert lines[0].startswith("-- Returns") and lines[1].startswith("-- Parameters:")


@pytest.mark.parametrize("name", ["rebuild_delete.sql", "rebuild_insert.sql", "rebuild_count.sql"])
def test_model_sql_placeholders_match_parameters(name: str) -> None:
    sql = resources.files("gapwatch.analyzer.model").joinpath("sql", name).read_text()
    assert set(placeholders(sql)) == {"database", "since", "until"}
    assert sql.startswith("-- ")


def test_every_placeholder_has_one_type_per_file() -> None:
    names = [d.id for d in DETECTORS] + [f"{d.id}_evidence" for d in TWO_QUERY_DETECTORS]
    for file_name in names:
        sql = load_sql(file_name)
        for name, kind in placeholders(sql).items():
            assert {k for n, k in _all(sql) if n == name} == {kind}, (file_name, name)


def test_thresholds_are_overridable_and_typos_rejected() -> None:
    context = DetectionContext(
        CONTEXT.client,
        "db",
        CONTEXT.since,
        CONTEXT.until,
        "7d",
        {"retry_loop": {"min_repeats": 5}, "retry_loop.min_loops": 4},
    )
    limits = thresholds_for(context, "retry_loop", RetryLoopThresholds())
    assert (limits.min_repeats, limits.min_loops) == (5, 4)
    assert get_detector("retry_loop").parameters(context)["min_repeats"] == 5  # type: ignore[attr-defined]
    bad = DetectionContext(
        CONTEXT.client, "db", CONTEXT.since, CONTEXT.until, "7d", {"retry_loop": {"min_repeat": 5}}
    )
    with pytest.raises(ValueError, match="min_repeat"):
        thresholds_for(bad, "retry_loop", RetryLoopThresholds())


def test_unknown_detector_id_is_an_error() -> None:
    with pytest.raises(KeyError, match="no_such"):
        run_detectors(CONTEXT, only=["no_such"])


def test_public_api() -> None:
    import gapwatch.analyzer.detectors as detectors

    assert detectors.__all__ == sorted(detectors.__all__)
    assert [d.id for d in detectors.DETECTORS] == [
        "tool_failure_hotspot",
        "permission_blocked",
        "timeout_input_correlation",
        "delegation_failure",
        "retry_loop",
        "unused_tool",
        "repeated_request",
        "cost_waste",
        "version_regression",
        "error_spike",
        "soft_failure",
        "negative_feedback",
    ]
    assert callable(detectors.run_detectors)
    assert _backfill.rebuild_span_facts is not None


def _all(sql: str) -> list[tuple[str, str]]:
    from gapwatch.analyzer.detectors._sql import PLACEHOLDER

    return [(n, k.strip()) for n, k in PLACEHOLDER.findall(sql)]


def test_traffic_sql_placeholders_match_parameters() -> None:
    from gapwatch.analyzer.detectors._sql import window_parameters

    sql = load_sql("traffic")
    assert set(placeholders(sql)) == set(window_parameters(CONTEXT))
    lines = sql.splitlines()
    assert lines[0].startswith("-- Returns") and lines[1].startswith("-- Parameters:")
