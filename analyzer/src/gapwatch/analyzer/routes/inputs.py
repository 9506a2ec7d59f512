"""What the API accepts: checks on query, path and body values, answered with 422 at the edge.

    def list_things(window: Window = "7d", cursor: Cursor = None): ...

A value that passes here can be bound to any query without the engine refusing it, so a
caller's mistake is a 422 naming the field, never a 5xx from ClickHouse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from gapwatch.analyzer.errors import InvalidRequest
from gapwatch.analyzer.proposals.model import PRIORITIES, Status
from gapwatch.analyzer.proposals.repository import decode_cursor
from gapwatch.analyzer.windows import parse_window

# instants a person can mean: analyses look back at most a year, and DateTime64 ends in 2299
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
WINDOW_PATTERN = r"^\s*\d{1,6}\s*[mhdw]\s*$"
PROPOSAL_ID_PATTERN = r"^[0-9a-f]{16}$"
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def check_window(value: str) -> str:
    """``30m`` … ``366d``: the same rule the analyzer applies, as a validation error."""
    try:
        parse_window(value)
    except InvalidRequest as error:
        raise ValueError(str(error)) from None
    return value


def check_instant(value: datetime | None) -> datetime | None:
    """A time between 2000 and 2200; one without a zone (``2030-01-01``) is read as UTC."""
    if value is None:
        return None
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return moment


def check_cursor(value: str | None) -> str | None:
    """Only what ``next_cursor`` hands out: the repository's own decoding decides."""
    if value:
        try:
            decode_cursor(value)
        except InvalidRequest as error:
            raise ValueError(str(error)) from None
    return value or None


def one_of(allowed: Iterable[str]) -> Callable[[str | None], str | None]:
    """A check for a filter of comma-separated values, each from ``allowed``."""
    known = tuple(allowed)

    def check(value: str | None) -> str | None:
        unknown = sorted(set(split_values(value)) - set(known))
        if unknown:
            raise ValueError(f"unknown value {', '.join(unknown)!r}; use {', '.join(known)}")
        return value

    return check


def check_names(value: str | None) -> str | None:
    """Comma-separated identifiers such as detector ids (lower case, digits, ``_``)."""
    for name in split_values(value):
        if not set(name) <= _NAME_CHARACTERS:
            raise ValueError(f"{name!r} is not an id: use lower-case letters, digits and _")
    return value


def check_text(value: str | None) -> str | None:
    """Free text (agent, tool names) without control characters, which no name contains."""
    if value and any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("must not contain control characters")
    return value


def split_values(raw: str | None) -> tuple[str, ...]:
    """A filter accepts one value or a comma-separated list."""
    return tuple(v.strip() for v in (raw or "").split(",") if v.strip())


Window = Annotated[str, Query(pattern=WINDOW_PATTERN, description="e.g. 24h, 7d (at most 366d)"),
                   AfterValidator(check_window)]
Cursor = Annotated[str | None, Query(max_length=1000, description="next_cursor of the last page"),
                   AfterValidator(check_cursor)]
StatusFilter = Annotated[str | None, Query(max_length=200, description="e.g. open,reopened"),
                         AfterValidator(one_of(s.value for s in Status))]
PriorityFilter = Annotated[str | None, Query(max_length=100, description="high,medium,low"),
                           AfterValidator(one_of(PRIORITIES))]
DetectorFilter = Annotated[str | None, Query(max_length=500, description="detector ids"),
                           AfterValidator(check_names)]
TextFilter = Annotated[str | None, Query(max_length=500), AfterValidator(check_text)]
ProposalId = Annotated[str, Path(pattern=PROPOSAL_ID_PATTERN,
                                 description="16 hex digits, as listed")]
