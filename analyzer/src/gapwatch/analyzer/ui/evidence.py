"""The proposal page's evidence chart, fitted to the detector that raised the proposal.

    chart = evidence_chart(store, proposal)   # inline SVG

* failure rate over time of the subject (every detector whose subject has calls),
* input size against timeouts with the threshold drawn (``timeout_input_correlation``),
* outcomes of the delegation (``delegation_failure``),
* before and after (``version_regression``, and any proposal with a verification result).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from gapwatch.analyzer.report.charts import (
    HEIGHT,
    PAD_B,
    PAD_T,
    line_chart,
    scatter_chart,
    success_colour,
)
from gapwatch.analyzer.report.charts import _x as chart_x  # the scatter's own x scale
from gapwatch.analyzer.store import Store
from gapwatch.analyzer.windows import parse_window

SQL_PACKAGE = "gapwatch.analyzer.ui"
SERIES_POINTS = 28
MAX_POINTS = 3000
BAR_WIDTH, BAR_ROW, BAR_LABEL = 720, 30, 190


def evidence_charts(store: Store, proposal: dict[str, Any],
                    now: datetime | None = None) -> list[str]:
    """The charts that show this proposal's evidence, most specific first."""
    subject, metrics = proposal["subject"], proposal["evidence"]["metrics"]
    until = now or datetime.now(UTC)
    since = until - _window(proposal["evidence"].get("window") or "7d")
    charts: list[str] = []
    detector = proposal["detector"]
    if detector == "timeout_input_correlation" and subject.get("tool"):
        charts.append(_sizes(store, subject, metrics, since, until))
    if detector == "delegation_failure" and isinstance(metrics.get("outcomes"), dict):
        charts.append(_delegation_outcomes(metrics))
    if detector == "version_regression" and isinstance(metrics.get("before"), dict):
        charts.append(_versions(metrics))
    if proposal.get("verification"):
        charts.append(_verification(proposal["verification"]))
    charts.append(_failure_series(store, subject, since, until))
    return charts


def bar_chart(rows: list[tuple[str, float, str]], title: str, unit: str = "") -> str:
    """Horizontal bars, one per (label, value, colour), scaled to the largest value."""
    top = max((value for _, value, _ in rows), default=0) or 1
    height = 34 + BAR_ROW * len(rows)
    parts = [f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for index, (label, value, colour) in enumerate(rows):
        y = 30 + index * BAR_ROW
        width = (BAR_WIDTH - BAR_LABEL - 90) * value / top
        text = f"{value:.0%}" if unit == "%" else f"{value:,.0f}{unit}"
        parts.append(
            f'<text x="8" y="{y + 17}" font-size="12">{escape(label)}</text>'
            f'<rect class="bar" x="{BAR_LABEL}" y="{y + 3}" width="{width:.1f}" height="20" '
            f'fill="{colour}"><title>{escape(label)}: {text}</title></rect>'
            f'<text x="{BAR_LABEL + width + 6:.1f}" y="{y + 17}" font-size="12">{text}</text>'
        )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="bars" '
            f'role="img" aria-label="{escape(title)}" width="{BAR_WIDTH}" height="{height}" '
            f'viewBox="0 0 {BAR_WIDTH} {height}" style="max-width:100%;height:auto">'
            f'{"".join(parts)}</svg>')


def _failure_series(store: Store, subject: dict[str, Any], since: datetime,
                    until: datetime) -> str:
    bucket_s = max(int((until - since).total_seconds() // SERIES_POINTS), 60)
    rows = store.select(SQL_PACKAGE, "subject_series", {
        "since": since, "until": until, "bucket_s": bucket_s, "span_type": _span_type(subject),
        **{key: str(subject.get(key) or "") for key in ("service", "agent", "tool",
                                                        "target_agent")},
    })
    name = " → ".join(str(subject[k]) for k in ("agent", "tool", "target_agent")
                      if subject.get(k)) or "subject"
    points = [(_utc(row["bucket"]), row["failures"] / row["calls"]) for row in rows
              if row["calls"]]
    return line_chart({name: points} if len(points) >= 2 else {},
                      f"Failure rate over time: {name}", y_label="failure rate")


def _sizes(store: Store, subject: dict[str, Any], metrics: dict[str, Any], since: datetime,
           until: datetime) -> str:
    rows = store.select(SQL_PACKAGE, "subject_sizes", {
        "since": since, "until": until, "service": str(subject.get("service") or ""),
        "agent": str(subject.get("agent") or ""), "tool": str(subject["tool"]),
        "limit": MAX_POINTS,
    })
    tool, unit = str(subject["tool"]), str(metrics.get("input_unit") or "")
    points = [(float(row["input_size"]), bool(row["timed_out"]), tool) for row in rows]
    chart = scatter_chart(points, f"Input size against timeouts: {tool}", unit)
    threshold = metrics.get("threshold")
    if isinstance(threshold, int | float) and points:
        chart = _with_threshold(chart, points, float(threshold), unit)
    return chart


def _with_threshold(chart: str, points: list[tuple[float, bool, str]], threshold: float,
                    unit: str) -> str:
    """Draws the detector's threshold as a dashed vertical line on the log-scale x axis."""
    low = math.log10(max(min(p[0] for p in points), 1))
    high = max(math.log10(max(p[0] for p in points)), low + 1)
    x = chart_x(math.log10(max(threshold, 1)), low, high)
    line = (f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_T}" '
            f'y2="{HEIGHT - PAD_B}" stroke="#1f1f1f" stroke-dasharray="5 4" stroke-width="1.5"/>'
            f'<text x="{x + 4:.1f}" y="{PAD_T + 12}" font-size="11">threshold '
            f'{threshold:,.0f} {escape(unit)}</text>')
    return chart.replace("</svg>", line + "</svg>", 1)


def _delegation_outcomes(metrics: dict[str, Any]) -> str:
    outcomes = {str(k): float(v) for k, v in metrics["outcomes"].items()}
    ok = float(metrics.get("calls", 0)) - sum(outcomes.values())
    rows = [("ok", max(ok, 0.0), success_colour(1.0)[0])]
    rows += [(name, count, success_colour(0.0)[0]) for name, count in sorted(outcomes.items())]
    return bar_chart(rows, "Delegation outcomes", unit=" calls")


def _versions(metrics: dict[str, Any]) -> str:
    rows = []
    for side in ("before", "after"):
        numbers = metrics[side]
        runs = float(numbers.get("runs") or 0)
        rate = float(numbers.get("failed_runs") or 0) / runs if runs else 0.0
        rows.append((f"{side}: {numbers.get('version', '')}", rate, success_colour(1 - rate)[0]))
    return bar_chart(rows, "Failed runs, before and after the version change", unit="%")


def _verification(verification: dict[str, Any]) -> str:
    rows = []
    for side in ("before", "after"):
        numbers = verification.get(side) or {}
        rate = float(numbers.get("rate") or 0.0)
        rows.append((f"{side} ({int(numbers.get('total') or 0)} calls)", rate,
                     success_colour(1 - rate)[0]))
    return bar_chart(rows, f"Verification: {verification.get('outcome', '')}", unit="%")


def _span_type(subject: dict[str, Any]) -> str:
    if subject.get("target_agent"):
        return "delegation"
    return "tool" if subject.get("tool") else "agent"


def _window(text: str) -> timedelta:
    try:
        return parse_window(text)
    except ValueError:
        return timedelta(days=7)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
