"""Analysis windows as people write them: ``30m``, ``24h``, ``7d``, ``2w``.

    parse_window("7d")  # timedelta(days=7)

One rule for every caller (analyses, scorecards, the report, the UI, the CLI): at most six
digits, one unit, at most 366 days.
"""

from __future__ import annotations

import re
from datetime import timedelta

from gapwatch.analyzer.errors import InvalidRequest

MAX_WINDOW = timedelta(days=366)
_WINDOW = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_window(window: str) -> timedelta:
    """The window's length; raises :class:`InvalidRequest` (a ``ValueError``) when malformed."""
    match = _WINDOW.match(window or "")
    if not match:
        raise InvalidRequest(f"invalid window {window!r}: use e.g. 30m, 24h, 7d or 2w")
    length = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(0) < length <= MAX_WINDOW:
        raise InvalidRequest(f"window {window!r} must be between 1 minute and 366 days")
    return length
