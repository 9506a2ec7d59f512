"""The proposal page's charts for detectors and states the demo fleet does not reach."""

from __future__ import annotations

import copy

from analyzer.tests.ui.harness import DemoStore
from gapwatch.analyzer.ui.evidence import bar_chart, evidence_charts


def test_version_regression_draws_failed_runs_before_and_after(demo: DemoStore) -> None:
    proposal = copy.deepcopy(demo.proposal("cost_waste"))
    proposal["detector"] = "version_regression"
    proposal["evidence"]["metrics"] = {
        "before": {"version": "1.9.0", "runs": 40, "failed_runs": 1},
        "after": {"version": "2.0.0", "runs": 40, "failed_runs": 30}}
    charts = evidence_charts(demo.store, proposal)
    assert "before: 1.9.0" in charts[0] and "after: 2.0.0" in charts[0]
    assert ">2%<" in charts[0] or ">3%<" in charts[0]
    assert ">75%<" in charts[0]
    assert 'data-chart="line"' in charts[-1]  # the subject's failure rate follows


def test_verification_result_is_drawn_before_and_after(demo: DemoStore) -> None:
    proposal = copy.deepcopy(demo.proposal("soft_failure"))
    proposal["verification"] = {"outcome": "verified", "before": {"total": 200, "rate": 0.3},
                                "after": {"total": 180, "rate": 0.02}}
    charts = evidence_charts(demo.store, proposal)
    assert any("Verification: verified" in c and "180 calls" in c for c in charts)


def test_failure_series_needs_two_points(demo: DemoStore) -> None:
    proposal = copy.deepcopy(demo.proposal("soft_failure"))
    proposal["subject"] = {"service": "nowhere", "agent": "", "tool": "x", "target_agent": ""}
    charts = evidence_charts(demo.store, proposal)
    assert charts == [charts[-1]] and 'data-chart="empty"' in charts[-1]


def test_bar_chart_escapes_labels_and_scales_to_the_largest() -> None:
    svg = bar_chart([("<ok>", 50, "#000"), ("bad", 100, "#111")], "t & u", unit=" calls")
    assert "&lt;ok&gt;" in svg and "t &amp; u" in svg and "<ok>" not in svg
    widths = [float(part.split('"')[0]) for part in svg.split('width="')[2:]]
    assert widths[1] == 2 * widths[0]
