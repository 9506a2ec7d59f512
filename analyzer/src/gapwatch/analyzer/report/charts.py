"""Charts as inline SVG strings, drawn in Python so the HTML report needs no script or network.

    svg = line_chart({"read_file": [(t0, 0.1), (t1, 0.2)]}, title="Error rate per tool")
"""

from __future__ import annotations

import math
import zlib
from datetime import datetime
from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 720, 300, 56, 170, 28, 40


def line_chart(series: dict[str, list[tuple[datetime, float]]], title: str) -> str:
    """One polyline per series over a shared time axis; y from 0 to the largest value."""
    points = [p for values in series.values() for p in values]
    if not points:
        return _empty(title)
    t0 = min(p[0] for p in points).timestamp()
    t1 = max(p[0] for p in points).timestamp()
    top = max(max(p[1] for p in points), 1e-9)
    parts = [_frame(title, f"{top:.0%}" if top <= 1 else f"{top:,.0f}")]
    for index, (name, values) in enumerate(sorted(series.items())):
        color = PALETTE[index % len(PALETTE)]
        coords = " ".join(
            f"{_x(p[0].timestamp(), t0, t1):.1f},{_y(p[1], top):.1f}" for p in values
        )
        parts.append(f'<polyline class="series" data-name="{escape(name)}" fill="none" '
                     f'stroke="{color}" stroke-width="2" points="{coords}"/>')
        parts.append(_legend(index, name, color))
    parts.append(_axis_labels(datetime.fromtimestamp(t0), datetime.fromtimestamp(t1)))
    return _svg("line", title, parts)


def scatter_chart(points: list[tuple[float, bool, str]], title: str, x_label: str) -> str:
    """Input size (x, log scale) against outcome: timed-out calls red, the rest grey."""
    if not points:
        return _empty(title)
    low = math.log10(max(min(p[0] for p in points), 1))
    high = max(math.log10(max(p[0] for p in points)), low + 1)
    parts = [_frame(title, "")]
    for size, timed_out, tool in points:
        x = _x(math.log10(max(size, 1)), low, high)
        jitter = (zlib.crc32(f"{tool}{size}".encode()) % 100) / 100 * 0.35
        y = _y(0.8 + jitter if timed_out else 0.1 + jitter, 1.2)
        color = "#e15759" if timed_out else "#9c9c9c"
        parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}" '
                     f'fill-opacity="0.6"><title>{escape(tool)}: {size:,.0f}</title></circle>')
    parts.append(_legend(0, "timed out", "#e15759") + _legend(1, "completed", "#9c9c9c"))
    parts.append(f'<text x="{PAD_L}" y="{HEIGHT - 8}" font-size="11">'
                 f'{10 ** low:,.0f}</text><text x="{WIDTH - PAD_R - 60}" y="{HEIGHT - 8}" '
                 f'font-size="11">{10 ** high:,.0f} {escape(x_label)}</text>')
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
            red, green = int(225 * (1 - rate) + 30), int(170 * rate + 40)
            parts.append(
                f'<rect class="cell" x="{140 + j * cell_w}" y="{y}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" fill="rgb({red},{green},70)"/>'
                f'<text x="{140 + j * cell_w + 6}" y="{y + 21}" font-size="11" fill="#fff">'
                f'{rate:.0%} of {counts[(row, column)]}</text>'
            )
    return _svg("heatmap", title, parts, height=height)


def _svg(kind: str, title: str, parts: list[str], height: int = HEIGHT) -> str:
    body = "".join(parts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{kind}" '
            f'role="img" aria-label="{escape(title)}" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}">{body}</svg>')


def _empty(title: str) -> str:
    return _svg("empty", title, [f'<text x="8" y="18" font-size="14">{escape(title)}: '
                                 "no data in this window</text>"], height=40)


def _frame(title: str, top_label: str) -> str:
    bottom = HEIGHT - PAD_B
    return (f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(title)}</text>'
            f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{bottom}" stroke="#666"/>'
            f'<line x1="{PAD_L}" y1="{bottom}" x2="{WIDTH - PAD_R}" y2="{bottom}" stroke="#666"/>'
            f'<text x="4" y="{PAD_T + 10}" font-size="11">{escape(top_label)}</text>')


def _legend(index: int, name: str, color: str) -> str:
    y = PAD_T + 14 * index + 8
    x = WIDTH - PAD_R + 12
    return (f'<rect x="{x}" y="{y - 8}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y + 1}" font-size="11">{escape(name)}</text>')


def _axis_labels(start: datetime, end: datetime) -> str:
    return (f'<text x="{PAD_L}" y="{HEIGHT - 8}" font-size="11">{start:%m-%d %H:%M}</text>'
            f'<text x="{WIDTH - PAD_R - 70}" y="{HEIGHT - 8}" font-size="11">'
            f'{end:%m-%d %H:%M}</text>')


def _x(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return PAD_L + (value - low) / span * (WIDTH - PAD_L - PAD_R)


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD_B - (value / top) * (HEIGHT - PAD_B - PAD_T)
