"""The review report on a seeded fleet: content, trends, and charts rendered by Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.report import collect_report, render_html, render_markdown
from gapwatch.analyzer.report.render import MAX_LINES

CHROMIUM = "/usr/bin/chromium"
# measures what Chromium laid out; injected into a copy of the report, never shipped in it
PROBE = """<script>
window.addEventListener('load', () => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    const drawn = [...svg.querySelectorAll('polyline.series, circle.point, rect.cell')]
      .filter(e => { const b = e.getBBox(); return b.width > 0 || b.height > 0; }).length;
    out.push(`${svg.dataset.chart}:${Math.round(box.width)}x${Math.round(box.height)}:${drawn}`);
  }
  document.body.setAttribute('data-probe', out.join(';'));
});
</script>"""


def test_markdown_report_has_every_section(seeded: Client, now: datetime) -> None:
    text = render_markdown(collect_report(seeded, "7d", now=now))
    for heading in ("## Summary", "## Top failure patterns", "## Proposals",
                    "## Tool scorecard", "## Delegation scorecard", "## Verification results"):
        assert heading in text
    assert "coder.write_file blocked" in text
    assert "(proposal p-blocked)" in text
    assert "coder.lsp_find_references timeout" in text
    assert "(proposal p-timeout)" in text  # recommendation taken from the matching proposal
    assert re.search(r"\| tool error rate \| [\d.]+% \| [\d.]+% \| [+-][\d.]+ pp \|", text)
    assert "| web_search: soft_failure | verified | 2.0.1 | error_rate | 0.3 | 0.05 |" in text


def test_report_window_excludes_older_spans(seeded: Client, now: datetime) -> None:
    day = collect_report(seeded, "1d", now=now)
    week = collect_report(seeded, "7d", now=now)
    assert 0 < day.totals["tool_calls"] < week.totals["tool_calls"]


def test_html_report_charts_render_in_headless_chromium(
    seeded: Client, tmp_path: Path, now: datetime
) -> None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is required for this test: apt-get install -y chromium")
    page = render_html(collect_report(seeded, "7d", now=now))
    # self-contained: no script, stylesheet, image or frame to fetch
    assert not re.search(r"<script|<link|<img|<iframe|\ssrc=|\shref=", page)
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r'data-probe="([^"]*)"', result.stdout)
    assert match, f"probe did not run: {result.stdout[:500]} {result.stderr[-1000:]}"
    charts = {}
    for entry in match.group(1).split(";"):
        kind, size, drawn = entry.split(":")
        charts[kind] = (size, int(drawn))
    assert set(charts) == {"line", "scatter", "heatmap"}, charts
    for kind, (size, drawn) in charts.items():
        width, height = (int(v) for v in size.split("x"))
        assert width >= 600 and height >= 100, (kind, size)
        assert drawn > 0, f"{kind} chart drew nothing"
    assert 1 <= charts["line"][1] <= MAX_LINES  # the tools that fail most, one line each
    assert charts["heatmap"][1] == 4  # planner → four sub-agents
