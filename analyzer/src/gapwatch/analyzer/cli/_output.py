"""Terminal output for the proposal commands: aligned tables, detail views, or JSON.

    print_table(rows, [("ID", "id", 16), ("TITLE", "title", 60)])
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from typing import Any


def print_json(body: Any) -> None:
    json.dump(body, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, int]]) -> None:
    """Columns are (header, key, max width); the last column takes what the terminal has left."""
    width = shutil.get_terminal_size((120, 20)).columns
    widths = [min(limit, max([len(h)] + [len(_cell(r.get(k))) for r in rows]))
              for h, k, limit in columns]
    widths[-1] = max(len(columns[-1][0]), width - sum(widths[:-1]) - 2 * (len(widths) - 1))
    print("  ".join(h.ljust(w) for (h, _, _), w in zip(columns, widths, strict=True)).rstrip())
    for row in rows:
        cells = [_fit(_cell(row.get(k)), w) for (_, k, _), w in zip(columns, widths, strict=True)]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
