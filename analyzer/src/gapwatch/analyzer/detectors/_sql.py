"""What every SQL-backed detector shares: loading its ``.sql`` file, binding, evidence, wording.

A detector is one module plus one ``<id>.sql`` file beside it. The query returns one row per
candidate with the evidence columns ``count``, ``sessions``, ``first_seen``, ``last_seen`` and
``traces``; thresholds are bound as parameters, so filtering happens in ClickHouse.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from scipy import stats

from gapwatch.analyzer.detectors.base import DetectionContext, Evidence, Finding

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):([^}]+)\}")
T = TypeVar("T")


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict[str, Any]]
    sql: str
    parameters: dict[str, Any]


@cache
def load_sql(detector_id: str) -> str:
    """The text of ``<detector_id>.sql`` shipped beside the detector modules."""
    return resources.files(__package__).joinpath(f"{detector_id}.sql").read_text()


def placeholders(sql: str) -> dict[str, str]:
    """``{name:Type}`` placeholders of a query, name → type."""
    return {name: kind.strip() for name, kind in PLACEHOLDER.findall(sql)}


def window_parameters(context: DetectionContext) -> dict[str, Any]:
    """The parameters every detector query takes: the database and the analysis window."""
    return {"database": context.database, "since": context.since, "until": context.until}


def run_query(
    context: DetectionContext, detector_id: str, parameters: dict[str, Any]
) -> QueryResult:
    """Run the detector's query with server-side bound parameters; rows as dicts."""
    sql = load_sql(detector_id)
    result = context.client.query(sql, parameters=parameters)
    rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    return QueryResult(rows, sql, parameters)


def thresholds_for(context: DetectionContext, detector_id: str, defaults: T) -> T:
    """``defaults`` with overrides from ``context.thresholds``.

    Accepted shapes: ``{"retry_loop": {"min_repeats": 4}}`` or ``{"retry_loop.min_repeats": 4}``.
    Unknown names raise, so a typo in configuration does not silently keep a default.
    """
    overrides: dict[str, Any] = dict(context.thresholds.get(detector_id, {}) or {})
    prefix = detector_id + "."
    for key, value in context.thresholds.items():
        if isinstance(key, str) and key.startswith(prefix):
            overrides[key[len(prefix) :]] = value
    if not overrides:
        return defaults
    known = {f.name for f in dataclasses.fields(defaults)}  # type: ignore[arg-type]
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown thresholds for {detector_id}: {sorted(unknown)}")
    return dataclasses.replace(defaults, **overrides)  # type: ignore[type-var]


def evidence(
    row: dict[str, Any],
    context: DetectionContext,
    query: QueryResult,
    metrics: dict[str, Any],
    *,
    count: int | None = None,
) -> Evidence:
    """Evidence from a row's standard columns plus detector metrics and the exact query."""
    return Evidence(
        count=int(row["count"] if count is None else count),
        sessions=int(row["sessions"]),
        traces=tuple(str(t) for t in row["traces"][:10]),
        first_seen=utc(row["first_seen"]),
        last_seen=utc(row["last_seen"]),
        window=context.window,
        metrics=metrics,
        query=query.sql,
        parameters=dict(query.parameters),
    )


def mode(keys: list[str], counts: list[int], *, skip_empty: bool = True) -> tuple[str, int]:
    """The most frequent key of a ``sumMap`` result; ties go to the alphabetically first."""
    best = ("", 0)
    for key, count in zip(keys, counts, strict=True):
        if skip_empty and not key:
            continue
        if count > best[1] or (count == best[1] and key < best[0]):
            best = (key, int(count))
    return best


def confidence(count: int, sessions: int, p_value: float | None = None) -> float:
    """0–1: grows with occurrences and with how many sessions they are spread over."""
    value = 0.45 * (1 - math.exp(-count / 8)) + 0.35 * min(1.0, sessions / 5)
    if p_value is not None:
        value += 0.15 if p_value < 1e-4 else 0.1 if p_value < 1e-2 else 0.0
    else:
        value += 0.1
    return round(min(0.95, value), 2)


def above_base_rate(events: int, trials: int, base_rate: float) -> float:
    """One-sided binomial p-value of ``events`` in ``trials`` when the true rate is ``base_rate``:
    how surprising the count is for a subject that only fails as often as anything does."""
    if trials <= 0 or events <= 0:
        return 1.0
    return float(stats.binom.sf(events - 1, trials, min(max(base_rate, 0.0), 1.0)))


def priority(score: float, *, high: float, medium: float) -> str:
    return "high" if score >= high else "medium" if score >= medium else "low"


def pct(part: float, whole: float) -> str:
    """``12.5%`` style, ``0%`` for an empty whole."""
    if not whole:
        return "0%"
    value = 100.0 * part / whole
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


def seconds(ns: float) -> str:
    """A duration in nanoseconds, readably."""
    s = ns / 1e9
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def number(value: float) -> str:
    """Thousands separators; two significant digits past 10k keeps sentences readable."""
    if abs(value) >= 10_000:
        digits = int(math.floor(math.log10(abs(value)))) - 1
        value = round(value, -digits)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def quote(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def utc(value: datetime) -> datetime:
    """A time-zone-aware UTC datetime; naive values from the store are UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(value: datetime) -> str:
    return utc(value).strftime("%Y-%m-%d %H:%M UTC")


class SqlDetector:
    """A detector made of one query and a function from each returned row to a finding."""

    id: str = ""
    version: int = 1
    # the detector's thresholds dataclass (with its defaults), and the fields the query binds
    defaults: Any = None
    bound_thresholds: tuple[str, ...] = ()

    def parameters(self, context: DetectionContext) -> dict[str, Any]:
        """Every value the query binds; the placeholder test compares these with the file."""
        parameters = window_parameters(context)
        if self.bound_thresholds:
            limits = thresholds_for(context, self.id, self.defaults)
            parameters |= {name: getattr(limits, name) for name in self.bound_thresholds}
        return parameters

    def detect(self, context: DetectionContext) -> list[Finding]:
        query = run_query(context, self.id, self.parameters(context))
        return self.interpret(query, context)

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        found = (self.finding(row, query, context) for row in query.rows)
        return [finding for finding in found if finding is not None]

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        raise NotImplementedError
