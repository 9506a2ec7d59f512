"""Charts as inline SVG strings, drawn in Python so the HTML report needs no script or network.

    svg = line_chart({"read_file": [(t0, 0.1), (t1, 0.2)]}, title="Error rate per tool")
"""

from __future__ import annotations

import math
import zlib
from datetime import UTC, datetime
from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 720, 300, 64, 170, 28, 54
# success-rate bands for the delegation heatmap: (lowest rate, fill, text colour); colours
# from ColorBrewer's RdYlGn, text dark on the light fills for contrast
SUCCESS_BANDS = (
    (0.99, "#1a9850", "#fff"),
    (0.95, "#91cf60", "#111"),
    (0.90, "#fee08b", "#111"),
    (0.75, "#fc8d59", "#111"),
    (0.0, "#d73027", "#fff"),
)


def _time_bounds(series: dict[str, list[tuple[datetime, float]]]
                 ) -> tuple[float, float, float] | None:
    """First and last time (epoch seconds) over every series, and a round top above the
    largest value; None when there is no point at all."""
    points = [p for values in series.values() for p in values]
    if not points:
        return None
    return (min(p[0] for p in points).timestamp(), max(p[0] for p in points).timestamp(),
            _round_up(max(max(p[1] for p in points), 1e-9)))


def line_chart(series: dict[str, list[tuple[datetime, float]]], title: str,
               y_label: str = "error rate") -> str:
    """One line (with a dot per point) per series over a shared time axis; y from 0 to a round
    value above the largest, with gridlines so a reader can read values off it."""
    bounds = _time_bounds(series)
    if bounds is None:
        return _empty(title)
    t0, t1, top = bounds
    parts = [_frame(title), _y_grid(top, y_label)]
    for index, (name, values) in enumerate(sorted(series.items())):
        color = PALETTE[index % len(PALETTE)]
        coords = [(_x(p[0].timestamp(), t0, t1), _y(p[1], top)) for p in values]
        parts.append(f'<polyline class="series" data-name="{escape(name)}" fill="none" '
                     f'stroke="{color}" stroke-width="2" '
                     f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in coords)}"/>')
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>'
                     for x, y in coords)
        parts.append(_legend(index, name, color))
    parts.append(_time_axis(datetime.fromtimestamp(t0, UTC), datetime.fromtimestamp(t1, UTC)))
    return _svg("line", title, parts)


def small_multiples(series: dict[str, list[tuple[datetime, float]]], title: str,
                    y_label: str = "error rate") -> str:
    """One small panel per series on a shared time axis and a shared 0–top scale: with one line
    per panel, six tools stay readable where six lines on one chart became a tangle."""
    bounds = _time_bounds(series)
    if bounds is None:
        return _empty(title)
    t0, t1, top = bounds
    columns = min(3, len(series))
    rows = math.ceil(len(series) / columns)
    left, panel_w, panel_h, gap_x, head, foot = 64, 190, 90, 30, 46, 34
    height = head + rows * (panel_h + foot) + 24
    parts = [f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for index, (name, values) in enumerate(sorted(series.items())):
        x0 = left + (index % columns) * (panel_w + gap_x)
        y0 = head + (index // columns) * (panel_h + foot)
        color = PALETTE[index % len(PALETTE)]

        def at(moment: datetime, value: float, x0: float = x0, y0: float = y0) -> str:
            x = x0 + (moment.timestamp() - t0) / ((t1 - t0) or 1.0) * panel_w
            return f"{x:.1f},{y0 + panel_h - value / top * panel_h:.1f}"

        mean = sum(v for _, v in values) / len(values)
        label = name if len(name) <= 28 else name[:27] + "…"
        parts.append(
            f'<text x="{x0}" y="{y0 - 6}" font-size="12" font-weight="bold">{escape(label)}'
            f'<title>{escape(name)}</title></text>'
            f'<text x="{x0 + panel_w - 4}" y="{y0 + 12}" font-size="10" fill="#555" '
            f'text-anchor="end">mean {mean:.0%}</text>'
            f'<rect x="{x0}" y="{y0}" width="{panel_w}" height="{panel_h}" fill="none" '
            f'stroke="#ccc"/><line x1="{x0}" y1="{y0 + panel_h / 2}" x2="{x0 + panel_w}" '
            f'y2="{y0 + panel_h / 2}" stroke="#eee"/>'
            f'<polyline class="series" data-name="{escape(name)}" fill="none" stroke="{color}" '
            f'stroke-width="2" points="{" ".join(at(t, v) for t, v in values)}"/>')
        if index % columns == 0:
            for value in (0.0, top / 2, top):
                label = f"{value:.0%}" if top <= 1 else f"{value:,.0f}"
                y = y0 + panel_h - value / top * panel_h
                parts.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" font-size="10" '
                             f'text-anchor="end">{label}</text>')
        if index // columns == rows - 1 or index + columns >= len(series):
            start, end = datetime.fromtimestamp(t0, UTC), datetime.fromtimestamp(t1, UTC)
            parts.append(f'<text x="{x0}" y="{y0 + panel_h + 14}" font-size="10">'
                         f'{start:%m-%d %H:%M}</text><text x="{x0 + panel_w}" '
                         f'y="{y0 + panel_h + 14}" font-size="10" text-anchor="end">'
                         f'{end:%m-%d %H:%M}</text>')
    middle = head + rows * (panel_h + foot) / 2
    parts.append(f'<text class="axis-title" x="{left + (columns * (panel_w + gap_x)) / 2:.0f}" '
                 f'y="{height - 6}" font-size="12" text-anchor="middle">time (UTC)</text>'
                 f'<text class="axis-title" x="14" y="{middle:.0f}" font-size="12" '
                 f'text-anchor="middle" transform="rotate(-90 14 {middle:.0f})">'
                 f'{escape(y_label)}</text>')
    return _svg("line", title, parts, height=height)


def scatter_chart(points: list[tuple[float, bool, str]], title: str, x_label: str) -> str:
    """Input size (x, log scale) against outcome: timed-out calls red, the rest grey."""
    if not points:
        return _empty(title)
    low = math.log10(max(min(p[0] for p in points), 1))
    high = max(math.log10(max(p[0] for p in points)), low + 1)
    parts = [_frame(title)]
    for size, timed_out, tool in points:
        x = _x(math.log10(max(size, 1)), low, high)
        jitter = (zlib.crc32(f"{tool}{size}".encode()) % 100) / 100 * 0.35
        y = _y(0.8 + jitter if timed_out else 0.1 + jitter, 1.2)
        color = "#e15759" if timed_out else "#9c9c9c"
        parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}" '
                     f'fill-opacity="0.6"><title>{escape(tool)}: {size:,.0f}</title></circle>')
    parts.append(_legend(0, "timed out", "#e15759") + _legend(1, "completed", "#9c9c9c"))
    parts.append(f'<text x="{PAD_L}" y="{HEIGHT - 22}" font-size="11">{10 ** low:,.0f}</text>'
                 f'<text x="{WIDTH - PAD_R}" y="{HEIGHT - 22}" font-size="11" '
                 f'text-anchor="end">{10 ** high:,.0f}</text>')
    parts.append(_axis_title(f"input size ({x_label or 'units'}, log scale)",
                             "outcome (jittered)"))
    return _svg("scatter", title, parts)


def heatmap(rows: list[str], columns: list[str], values: dict[tuple[str, str], float],
            counts: dict[tuple[str, str], int], title: str) -> str:
    """Caller × callee cells coloured by success rate (green good, red bad), labelled."""
    if not rows or not columns:
        return _empty(title)
    cell_w = min(110, (WIDTH - 140) // len(columns))
    cell_h = 34
    height = PAD_T + 40 + cell_h * len(rows) + 10
    parts = [f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for j, column in enumerate(columns):
        parts.append(f'<text x="{140 + j * cell_w + 4}" y="{PAD_T + 28}" font-size="11">'
                     f'{escape(column)}</text>')
    for i, row in enumerate(rows):
        y = PAD_T + 40 + i * cell_h
        parts.append(f'<text x="8" y="{y + 21}" font-size="11">{escape(row)}</text>')
        for j, column in enumerate(columns):
            if (row, column) not in values:
                continue
            rate = values[(row, column)]
            fill, ink = success_colour(rate)
            parts.append(
                f'<rect class="cell" x="{140 + j * cell_w}" y="{y}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" fill="{fill}"><title>{escape(row)} → {escape(column)}: '
                f'{rate:.1%} of {counts[(row, column)]}</title></rect>'
                f'<text x="{140 + j * cell_w + 6}" y="{y + 21}" font-size="11" fill="{ink}">'
                f'{rate:.0%} of {counts[(row, column)]}</text>'
            )
    key_y = height + 12
    for index, (floor, fill, _) in enumerate(SUCCESS_BANDS):
        x = 140 + index * 96
        parts.append(f'<rect x="{x}" y="{key_y - 9}" width="10" height="10" fill="{fill}"/>'
                     f'<text x="{x + 14}" y="{key_y}" font-size="11">≥ {floor:.0%}</text>')
    return _svg("heatmap", title, parts, height=height + 20)


def success_colour(rate: float) -> tuple[str, str]:
    """Fill and text colour for a success rate: stepped bands, so 73 % and 100 % never look
    alike (a linear red-green ramp made every rate above ~70 % the same green)."""
    for floor, fill, ink in SUCCESS_BANDS:
        if rate >= floor:
            return fill, ink
    return SUCCESS_BANDS[-1][1], SUCCESS_BANDS[-1][2]


def _svg(kind: str, title: str, parts: list[str], height: int = HEIGHT) -> str:
    body = "".join(parts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{kind}" '
            f'role="img" aria-label="{escape(title)}" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="xMinYMin meet" '
            f'style="max-width:100%;height:auto">{body}</svg>')


def _empty(title: str) -> str:
    return _svg("empty", title, [f'<text x="8" y="18" font-size="14">{escape(title)}: '
                                 "no data in this window</text>"], height=40)


def _frame(title: str) -> str:
    bottom = HEIGHT - PAD_B
    return (f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(title)}</text>'
            f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{bottom}" stroke="#666"/>'
            f'<line x1="{PAD_L}" y1="{bottom}" x2="{WIDTH - PAD_R}" y2="{bottom}" stroke="#666"/>')


def _y_grid(top: float, label: str) -> str:
    """Gridlines and values at 0, ½ and the top of the y axis, and the axis title."""
    parts = []
    for fraction in (0.0, 0.5, 1.0):
        value = top * fraction
        y = _y(value, top)
        text = f"{value:.0%}" if top <= 1 else f"{value:,.0f}"
        parts.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{WIDTH - PAD_R}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{PAD_L - 4}" y="{y + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{text}</text>')
    return "".join(parts) + _axis_title("time (UTC)", label)


def _axis_title(x_title: str, y_title: str) -> str:
    middle = (PAD_T + HEIGHT - PAD_B) / 2
    return (f'<text class="axis-title" x="{(PAD_L + WIDTH - PAD_R) / 2:.0f}" y="{HEIGHT - 6}" '
            f'font-size="12" text-anchor="middle">{escape(x_title)}</text>'
            f'<text class="axis-title" x="14" y="{middle:.0f}" font-size="12" '
            f'text-anchor="middle" transform="rotate(-90 14 {middle:.0f})">'
            f'{escape(y_title)}</text>')


def _legend(index: int, name: str, color: str) -> str:
    y = PAD_T + 14 * index + 8
    x = WIDTH - PAD_R + 12
    return (f'<rect x="{x}" y="{y - 8}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y + 1}" font-size="11">{escape(name)}</text>')


def _time_axis(start: datetime, end: datetime) -> str:
    return (f'<text x="{PAD_L}" y="{HEIGHT - PAD_B + 16}" font-size="11">'
            f'{start:%m-%d %H:%M}</text><text x="{WIDTH - PAD_R}" y="{HEIGHT - PAD_B + 16}" '
            f'font-size="11" text-anchor="end">{end:%m-%d %H:%M}</text>')


def _round_up(value: float) -> float:
    """The next of 1, 2, 2.5, 5 × 10ⁿ at or above ``value``: a top gridline worth reading."""
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _x(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return PAD_L + (value - low) / span * (WIDTH - PAD_L - PAD_R)


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD_B - (value / top) * (HEIGHT - PAD_B - PAD_T)
