"""The report's wording and charts on hand-made report data: what a reader sees in edge cases
(one session, no verified proposal, too little traffic for a trend, Markdown in detector texts,
linked trace ids) and on a phone-sized screen in headless Chromium."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gapwatch.analyzer.report import ReportData, render_html, render_markdown
from gapwatch.analyzer.report.charts import heatmap, line_chart, scatter_chart, success_colour
from gapwatch.analyzer.report.render import MAX_LINES, MIN_BUCKET_CALLS

CHROMIUM = "/usr/bin/chromium"
UNTIL = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TOTALS = {"agent_runs": 10, "tool_calls": 40, "tool_failures": 4, "delegations": 5,
          "delegation_failures": 1, "tokens": 1000, "sessions": 1}


def _proposal(**changes: Any) -> dict[str, Any]:
    proposal = {
        "id": "p1", "detector": "tool_failure_hotspot", "priority": "high", "confidence": 0.9,
        "status": "open", "title": "`read_file` fails for coder",
        "summary": "`read_file` raised `FileNotFoundError` in 1 session.",
        "agent": "coder", "tool": "read_file", "target_agent": "",
        "evidence": {"count": 1, "sessions": 1, "traces": [TRACE]}, "evidence_count": 1,
        "proposed_change": "Check the path with `stat` first.", "expected_impact": "fewer errors",
        "risk": "low", "implemented_version": "", "verification": {}, "updated_at": UNTIL,
    }
    return {**proposal, **changes}


def _pattern() -> dict[str, Any]:
    return {"span_type": "tool", "who": "coder", "tool": "read_file", "outcome": "error",
            "pattern": "FileNotFoundError", "occurrences": 1, "sessions": 1,
            "avg_input_size": 0, "input_unit": "", "desired_capability": "", "traces": [TRACE]}


def _series(calls: int, buckets: int, tool: str = "read_file") -> list[dict[str, Any]]:
    start = UNTIL.replace(tzinfo=None) - timedelta(hours=buckets)
    return [{"bucket": start + timedelta(hours=i), "tool": tool, "calls": calls,
             "error_rate": 0.2 + 0.1 * (i % 3)} for i in range(buckets)]


def _data(**changes: Any) -> ReportData:
    fields: dict[str, Any] = {
        "window": "7d", "since": UNTIL - timedelta(days=7), "until": UNTIL,
        "previous_since": UNTIL - timedelta(days=14), "totals": TOTALS,
        "previous_totals": TOTALS, "patterns": [_pattern()], "tools": [],
        "previous_tools": {}, "delegations": [], "previous_delegations": {},
        "error_series": _series(calls=20, buckets=6), "timeout_points": [],
        "proposals": [_proposal()],
    }
    return ReportData(**{**fields, **changes})


def _visible_text(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", page)


def test_html_shows_backticked_names_as_code_when_detector_texts_quote_them() -> None:
    page = render_html(_data())
    assert "`" not in _visible_text(page)
    assert "<code>read_file</code> fails for coder" in page
    assert "Check the path with <code>stat</code> first." in page


def test_counts_of_one_are_singular_in_both_formats() -> None:
    for text in (render_markdown(_data()), _visible_text(render_html(_data()))):
        assert "1 occurrence," in text and "1 session" in text
        assert "1 sessions" not in text and "1 occurrences" not in text


def test_error_rate_chart_is_left_out_when_the_data_is_too_thin() -> None:
    thin = render_html(_data(error_series=_series(calls=MIN_BUCKET_CALLS - 1, buckets=20)))
    assert 'data-chart="line"' not in thin
    assert "No error-rate trend" in thin
    short = render_html(_data(error_series=_series(calls=50, buckets=2)))
    assert 'data-chart="line"' not in short


def test_error_rate_chart_draws_only_the_tools_that_fail_most() -> None:
    series = [row for n in range(MAX_LINES + 3) for row in _series(20, 6, tool=f"tool{n}")]
    series += [{**row, "error_rate": 0.0} for row in _series(20, 6, tool="healthy")]
    page = render_html(_data(error_series=series))
    assert page.count('class="series"') == MAX_LINES
    assert 'data-name="healthy"' not in page


def test_charts_name_their_axes() -> None:
    start = UNTIL - timedelta(hours=3)
    line = line_chart({"t": [(start, 0.1), (UNTIL, 0.4)]}, "Error rate")
    assert ">time (UTC)<" in line and ">error rate<" in line
    assert ">50%<" in line and ">0%<" in line  # gridline values up to a round top
    report = render_html(_data())  # the report's own trend: one small panel per tool
    assert ">time (UTC)<" in report and ">error rate<" in report and ">11-30 06:00<" in report
    scatter = scatter_chart([(100.0, False, "t"), (9000.0, True, "t")], "Timeouts", "lines")
    assert ">input size (lines, log scale)<" in scatter


def test_heatmap_colours_separate_seventy_three_from_a_hundred_percent() -> None:
    assert success_colour(0.73)[0] != success_colour(1.0)[0]
    assert success_colour(0.97)[0] != success_colour(1.0)[0]
    red, green = (int(success_colour(0.73)[0][i:i + 2], 16) for i in (1, 3))
    assert red > green  # a failing pair reads as red, not as another green
    svg = heatmap(["planner"], ["coder", "writer"], {("planner", "coder"): 0.73,
                                                     ("planner", "writer"): 1.0},
                  {("planner", "coder"): 30, ("planner", "writer"): 30}, "Delegation success")
    assert success_colour(0.73)[0] in svg and success_colour(1.0)[0] in svg


def test_empty_sections_say_so_instead_of_showing_an_empty_list() -> None:
    page = render_html(_data(patterns=[], proposals=[]))
    assert "<ol></ol>" not in page and "<p>No failures in this window.</p>" in page
    assert "No proposals yet" in page


def test_verification_section_has_no_empty_table_when_nothing_was_verified() -> None:
    page = render_html(_data())
    section = page.split("<h2>Verification results</h2>")[1]
    assert "<table" not in section and "No implemented proposals" in section
    verified = _proposal(status="verified", implemented_version="v2",
                         verification={"metric": "error_rate", "before": 0.3, "after": 0.05})
    section = render_html(_data(proposals=[verified])).split("<h2>Verification results</h2>")[1]
    assert "<td>v2</td>" in section


def test_sample_traces_link_to_the_trace_view_only_when_a_link_is_given() -> None:
    link = "http://127.0.0.1:8080/traces/{trace_id}"
    page = render_html(_data(), trace_link=link)
    assert page.count(f'href="http://127.0.0.1:8080/traces/{TRACE}"') == 2  # pattern, proposal
    assert f"[`{TRACE}`](http://127.0.0.1:8080/traces/{TRACE})" in render_markdown(
        _data(), trace_link=link)
    assert "href=" not in render_html(_data())


def test_report_fits_a_phone_screen_in_headless_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is required for this test: apt-get install -y chromium")
    many = [{"agent": "coder", "tool": f"tool_with_a_long_name_{n}", "calls": 100,
             "error_rate": 0.1, "p50_ms": 10.0, "p95_ms": 90.0, "timeouts": 1, "blocked": 0}
            for n in range(3)]
    page = render_html(_data(tools=many, delegations=[
        {"caller_agent": "planner", "target_agent": f"agent{n}", "delegations": 10,
         "success_rate": 0.8, "p95_ms": 5.0} for n in range(4)]))
    # headless Chromium's window is at least 500 px wide, so the report is laid out in a
    # phone-wide iframe and reports its own widths to the page around it
    probe = ("<script>window.addEventListener('load', () => {"
             "const widths = [...document.querySelectorAll('svg.chart')]"
             ".map(s => Math.round(s.getBoundingClientRect().width));"
             "parent.postMessage(innerWidth + ':' + document.documentElement.scrollWidth + ':'"
             " + widths.join(','), '*');});</script>")
    (tmp_path / "report.html").write_text(page.replace("</body>", probe + "</body>"),
                                          encoding="utf-8")
    phone = tmp_path / "phone.html"
    phone.write_text(
        "<!DOCTYPE html><html><body><script>addEventListener('message', e => "
        "document.body.setAttribute('data-probe', e.data));</script>"
        '<iframe src="report.html" width="360" height="800"></iframe></body></html>',
        encoding="utf-8")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
         "--dump-dom", phone.as_uri()],
        capture_output=True, text=True, timeout=90, check=False)
    match = re.search(r'data-probe="(\d+):(\d+):([\d,]+)"', result.stdout)
    assert match, result.stderr[-1000:]
    viewport, page_width = int(match.group(1)), int(match.group(2))
    widths = [int(w) for w in match.group(3).split(",")]
    assert viewport <= 360
    assert page_width <= viewport  # nothing makes the phone scroll sideways
    assert len(widths) == 3 and all(0 < w <= viewport for w in widths)  # every chart
