"""The review report: top failure patterns, proposals, scorecards, trends, verification.

    data = collect_report(client, window="7d")
    Path("review.html").write_text(render_html(data))
"""

from gapwatch.analyzer.report.data import ReportData, collect_report
from gapwatch.analyzer.report.render import render_html, render_markdown

__all__ = ["ReportData", "collect_report", "render_html", "render_markdown"]
