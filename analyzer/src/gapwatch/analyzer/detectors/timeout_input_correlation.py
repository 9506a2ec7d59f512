"""``timeout_input_correlation``: a tool that times out (or slows down) above an input size.

The query buckets each tool's calls by ``gapwatch.input.size`` (two significant digits). Every
boundary between buckets is a candidate threshold; the one that best separates timeouts —
most of the calls above time out, almost none below, Fisher's exact test significant — is
reported as "times out on inputs above ~N lines: 14/15 above, 0/420 below". Without timeouts,
the same search looks for a latency jump (geometric means, Welch's t-test) that is a cliff, not
a tool taking longer in step with a larger input: the time per unit of input must jump too.

Two queries: ``timeout_input_correlation.sql`` returns the size buckets of every tool (counts and
sums only); the splits are searched here, the ``max_findings`` strongest subjects kept (timeouts
before slowdowns, then by timeouts above the threshold or by slowdown) and
``timeout_input_correlation_evidence.sql`` returns their buckets again with sessions, first/last
seen and sample traces. Findings are judged on the evidence query's rows, the query the evidence
records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from gapwatch.analyzer.detectors._sql import (
    QueryResult,
    SqlDetector,
    confidence,
    day,
    evidence,
    number,
    priority,
    run_query,
    seconds,
    thresholds_for,
    window_parameters,
)
from gapwatch.analyzer.detectors.base import DetectionContext, Finding, Subject
from gapwatch.analyzer.detectors.config import TimeoutInputCorrelationThresholds


@dataclass(frozen=True)
class Split:
    threshold: float
    above_calls: int
    above_timeouts: int
    below_calls: int
    below_timeouts: int
    p_value: float
    slowdown: float = 1.0  # geometric-mean latency ratio above / below
    below_latency_ns: float = 0.0
    above_latency_ns: float = 0.0


class TimeoutInputCorrelationDetector(SqlDetector):
    id = "timeout_input_correlation"
    version = 3  # 3: a slowdown must outgrow the input (time per unit of input jumps too)

    def parameters(self, context: DetectionContext) -> dict[str, Any]:
        limits = thresholds_for(context, self.id, TimeoutInputCorrelationThresholds())
        return window_parameters(context) | {"min_calls": 2 * limits.min_calls_per_side}

    def evidence_parameters(
        self, context: DetectionContext, subjects: list[tuple[str, str, str, str]]
    ) -> dict[str, Any]:
        """Parameters of the evidence query: (service, agent, tool, input unit) subjects."""
        return window_parameters(context) | {"subjects": subjects}

    def interpret(self, query: QueryResult, context: DetectionContext) -> list[Finding]:
        limits = thresholds_for(context, self.id, TimeoutInputCorrelationThresholds())
        ranked = sorted(
            (rank, _key(row))
            for row, found in zip(query.rows, best_splits(query.rows, limits), strict=True)
            if (rank := _rank(row, *found)) is not None
        )[: limits.max_findings]
        if not ranked:
            return []
        subjects = sorted(key for _, key in ranked)
        detail = run_query(
            context, f"{self.id}_evidence", self.evidence_parameters(context, subjects)
        )
        findings = []
        for row, (symptom, split) in zip(
            detail.rows, best_splits(detail.rows, limits), strict=True
        ):
            rank = _rank(row, symptom, split)
            if rank is not None and split is not None:
                findings.append((rank, self._split_finding(row, detail, context, symptom, split)))
        return [finding for _, finding in sorted(findings, key=lambda item: item[0])]

    def finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext
    ) -> Finding | None:
        limits = thresholds_for(context, self.id, TimeoutInputCorrelationThresholds())
        ((symptom, split),) = best_splits([row], limits)
        if split is None:
            return None
        return self._split_finding(row, query, context, symptom, split)

    def _split_finding(
        self,
        row: dict[str, Any],
        query: QueryResult,
        context: DetectionContext,
        symptom: str,
        split: Split,
    ) -> Finding:
        if symptom == "timeout":
            return self._timeout_finding(row, query, context, split)
        return self._slowdown_finding(row, query, context, split)

    def _timeout_finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext, split: Split
    ) -> Finding:
        tool, unit = row["tool"], row["input_unit"] or "units"
        n = number(split.threshold)
        ratio = (
            f"{split.above_timeouts}/{split.above_calls} above, "
            f"{split.below_timeouts}/{split.below_calls} below"
        )
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="timeout_or_caching",
            priority=priority(split.above_timeouts, high=20, medium=5),
            confidence=confidence(split.above_timeouts, row["sessions"], split.p_value),
            subject=Subject(
                service=row["service"],
                agent=row["agent"],
                tool=tool,
                extra=(("input_unit", unit), ("symptom", "timeout")),
            ),
            title=f"`{tool}` times out on inputs above ~{n} {unit}",
            summary=(
                f"`{tool}` times out on inputs above ~{n} {unit}: {ratio} "
                f"(Fisher's exact test p={split.p_value:.1e}); {row['sessions']} sessions "
                f"between {day(row['first_seen'])} and {day(row['last_seen'])}."
            ),
            proposed_change=(
                f"Split inputs above ~{n} {unit} into chunks before calling `{tool}` (or have "
                f"the tool page through them), give large inputs a size-aware timeout, or cache "
                f"the expensive part so a repeat does not start over. Inputs below ~{n} {unit} "
                f"need no change."
            ),
            expected_impact=(
                f"Up to {split.above_timeouts} fewer timeouts per {context.window} — "
                f"{split.above_timeouts} of the {split.above_calls} calls above ~{n} {unit} — "
                f"and the retries they caused."
            ),
            risk="Low for chunking; a longer timeout alone holds the agent longer on each call.",
            evidence=evidence(
                row, context, query, _metrics(split, unit), count=split.above_timeouts
            ),
            severity=float(split.above_timeouts),
        )

    def _slowdown_finding(
        self, row: dict[str, Any], query: QueryResult, context: DetectionContext, split: Split
    ) -> Finding:
        tool, unit = row["tool"], row["input_unit"] or "units"
        n = number(split.threshold)
        saved_ns = (split.above_latency_ns - split.below_latency_ns) * split.above_calls
        return Finding(
            detector=self.id,
            detector_version=self.version,
            proposal_type="timeout_or_caching",
            priority=priority(split.slowdown, high=10, medium=4),
            confidence=confidence(split.above_calls, row["sessions"], split.p_value),
            subject=Subject(
                service=row["service"],
                agent=row["agent"],
                tool=tool,
                extra=(("input_unit", unit), ("symptom", "slowdown")),
            ),
            title=f"`{tool}` slows down {split.slowdown:.0f}× on inputs above ~{n} {unit}",
            summary=(
                f"`{tool}` takes {seconds(split.above_latency_ns)} (geometric mean) on the "
                f"{split.above_calls} inputs above ~{n} {unit} vs "
                f"{seconds(split.below_latency_ns)} on the {split.below_calls} below "
                f"(Welch's t-test p={split.p_value:.1e})."
            ),
            proposed_change=(
                f"Cache or index what `{tool}` recomputes for large inputs, or process inputs "
                f"above ~{n} {unit} incrementally; the agent waits "
                f"{seconds(split.above_latency_ns)} per such call today."
            ),
            expected_impact=(
                f"Up to {seconds(saved_ns)} less waiting per {context.window} over "
                f"{split.above_calls} calls."
            ),
            risk="Low: a cache must be invalidated when the input changes.",
            evidence=evidence(row, context, query, _metrics(split, unit), count=split.above_calls),
            severity=float(split.slowdown),
        )


def best_splits(
    rows: list[dict[str, Any]], limits: TimeoutInputCorrelationThresholds
) -> list[tuple[str, Split | None]]:
    """Per row: a timeout split when there is one, else a slowdown split — (symptom, split or
    None). The timeout search of all rows shares one batch of Fisher's exact tests."""
    buckets = [[tuple(b) for b in row["buckets"]] for row in rows]
    found: list[tuple[str, Split | None]] = []
    for row_buckets, split in zip(buckets, find_timeout_splits(buckets, limits), strict=True):
        if split is not None:
            found.append(("timeout", split))
        else:
            found.append(("slowdown", find_slowdown_split(row_buckets, limits)))
    return found


def _key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["service"], row["agent"], row["tool"], row["input_unit"])


def _rank(
    row: dict[str, Any], symptom: str, split: Split | None
) -> tuple[int, float, float, tuple[str, str, str, str]] | None:
    """Sort key of a subject with a split (strongest first), None without one: timeouts before
    slowdowns, then the most timeouts above the threshold (or the largest slowdown), then the
    smallest p-value."""
    if split is None:
        return None
    if symptom == "timeout":
        return (0, -float(split.above_timeouts), split.p_value, _key(row))
    return (1, -split.slowdown, split.p_value, _key(row))


def find_timeout_split(
    buckets: list[tuple[Any, ...]], limits: TimeoutInputCorrelationThresholds
) -> Split | None:
    """The boundary that best separates timed-out calls, or None when none is convincing."""
    return find_timeout_splits([buckets], limits)[0]


def find_timeout_splits(
    bucket_lists: list[list[tuple[Any, ...]]], limits: TimeoutInputCorrelationThresholds
) -> list[Split | None]:
    """``find_timeout_split`` of each bucket list, with one batch of Fisher's exact tests."""
    # per subject, the boundaries that pass the count and rate limits: (subject, index, table)
    passing: list[tuple[int, int, tuple[int, int, int, int]]] = []
    for subject, buckets in enumerate(bucket_lists):
        passing.extend((subject, index, table) for index, table in _passing(buckets, limits))
    best: list[Split | None] = [None] * len(bucket_lists)
    p_values = _fisher_greater([table for _, _, table in passing])
    for (subject, index, table), p_value in zip(passing, p_values, strict=True):
        # the most significant split wins: it explains the most timeouts with the fewest
        # exceptions on either side; ties go to the smaller threshold
        current = best[subject]
        if p_value > limits.alpha or (current is not None and p_value >= current.p_value):
            continue
        buckets = bucket_lists[subject]
        best[subject] = Split(
            threshold=_boundary(buckets[index][0], buckets[index + 1][0]),
            above_calls=table[0] + table[1],
            above_timeouts=table[0],
            below_calls=table[2] + table[3],
            below_timeouts=table[2],
            p_value=p_value,
        )
    return best


def _passing(
    buckets: list[tuple[Any, ...]], limits: TimeoutInputCorrelationThresholds
) -> list[tuple[int, tuple[int, int, int, int]]]:
    """The boundaries (index of the last bucket below) that pass the count and rate limits,
    each with its 2×2 table [[timeouts, others] above, [timeouts, others] below]."""
    if len(buckets) < 2:
        return []
    # every boundary at once: calls and timeouts below (cumulative) and above it
    calls = np.array([int(b[1]) for b in buckets], dtype=np.int64)
    timeouts = np.array([int(b[2]) for b in buckets], dtype=np.int64)
    below_calls, below_timeouts = np.cumsum(calls)[:-1], np.cumsum(timeouts)[:-1]
    above_calls, above_timeouts = calls.sum() - below_calls, timeouts.sum() - below_timeouts
    sides = (np.minimum(above_calls, below_calls) >= limits.min_calls_per_side) & (
        np.minimum(above_calls, below_calls) > 0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_above, rate_below = above_timeouts / above_calls, below_timeouts / below_calls
    passing = np.flatnonzero(
        sides
        & (above_timeouts >= limits.min_timeouts_above)
        & (rate_above >= limits.min_rate_above)
        & (rate_below <= limits.max_rate_below)
    )
    return [
        (
            int(i),
            (
                int(above_timeouts[i]),
                int(above_calls[i] - above_timeouts[i]),
                int(below_timeouts[i]),
                int(below_calls[i] - below_timeouts[i]),
            ),
        )
        for i in passing
    ]


def _fisher_greater(tables: list[tuple[int, int, int, int]]) -> list[float]:
    """One-sided ("greater") Fisher's exact test of 2×2 tables ``(a, b, c, d)`` = ``[[a, b],
    [c, d]]``, as ``scipy.stats.fisher_exact`` computes it, in one vectorized call."""
    p_values = [1.0] * len(tables)
    tested = [
        i
        for i, (a, b, c, d) in enumerate(tables)
        if min(a + b, c + d, a + c, b + d) > 0  # an empty row or column: p = 1
    ]
    if tested:
        # P(X <= b) for X ~ Hypergeom(total, first row, second column): fisher_exact's formula
        cdf = stats.hypergeom.cdf(
            [tables[i][1] for i in tested],
            [sum(tables[i]) for i in tested],
            [tables[i][0] + tables[i][1] for i in tested],
            [tables[i][1] + tables[i][3] for i in tested],
        )
        for i, value in zip(tested, cdf, strict=True):
            p_values[i] = min(float(value), 1.0)
    return p_values


def find_slowdown_split(
    buckets: list[tuple[Any, ...]], limits: TimeoutInputCorrelationThresholds
) -> Split | None:
    """The boundary with the largest significant latency jump, over calls that completed."""
    if len(buckets) < 2:
        return None
    # every boundary at once: (count, sum, sum of squares) of completed calls' log-latency below
    # (running sums, added in bucket order) and above it
    # (and the sum of log-sizes, for the latency per unit of input)
    completed = np.array(
        [
            (
                int(b[1]) - int(b[2]),
                float(b[3]),
                float(b[4]),
                (int(b[1]) - int(b[2])) * math.log(max(float(b[0]), 1e-9)),
            )
            for b in buckets
        ],
        dtype=np.float64,
    )
    running = np.cumsum(completed, axis=0)
    below, above = running[:-1], running[-1] - running[:-1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low_n, low_mean = below[:, 0], below[:, 1] / below[:, 0]
        high_n, high_mean = above[:, 0], above[:, 1] / above[:, 0]
        # how much more each unit of input costs above than below: 1 when time grows in step
        # with the input, more at a cliff
        unit_slowdown = np.exp(
            (high_mean - low_mean) - (above[:, 3] / above[:, 0] - below[:, 3] / below[:, 0])
        )
        candidates = np.flatnonzero(
            (low_n >= 2)
            & (high_n >= 2)
            & (np.minimum(low_n, high_n) >= limits.min_calls_per_side)
            & (np.exp(high_mean - low_mean) >= limits.min_slowdown * (1 - 1e-9))
            & (unit_slowdown >= limits.min_unit_slowdown * (1 - 1e-9))
        )
    # the largest slowdown that is significant wins; ties go to the smaller threshold. Welch's
    # test runs from the largest slowdown down until one is significant.
    ranked: list[tuple[float, int, tuple[float, float, float], tuple[float, float, float]]] = []
    for candidate in candidates:
        low, high = _log_stats(*below[candidate][:3]), _log_stats(*above[candidate][:3])
        if low is None or high is None:
            continue
        slowdown = math.exp(high[1] - low[1])
        if slowdown >= limits.min_slowdown:
            ranked.append((-slowdown, int(candidate), low, high))
    for negative_slowdown, index, low, high in sorted(ranked, key=lambda r: (r[0], r[1])):
        result = stats.ttest_ind_from_stats(
            high[1],
            high[2],
            high[0],
            low[1],
            low[2],
            low[0],
            equal_var=False,
            alternative="greater",
        )
        p_value = float(result.pvalue)
        if not p_value <= limits.alpha:
            continue
        return Split(
            threshold=_boundary(buckets[index][0], buckets[index + 1][0]),
            above_calls=int(high[0]),
            above_timeouts=0,
            below_calls=int(low[0]),
            below_timeouts=0,
            p_value=p_value,
            slowdown=-negative_slowdown,
            below_latency_ns=math.exp(low[1]),
            above_latency_ns=math.exp(high[1]),
        )
    return None


def _log_stats(n: float, total: float, squares: float) -> tuple[float, float, float] | None:
    """(n, mean, standard deviation) of log-latency from its count, sum and sum of squares."""
    n, total, squares = float(n), float(total), float(squares)
    if n < 2:
        return None
    mean = total / n
    variance = max((squares - n * mean * mean) / (n - 1), 1e-12)
    return float(n), mean, math.sqrt(variance)


def _boundary(below: float, above: float) -> float:
    """A round number between the largest size below and the smallest above."""
    middle = (float(below) + float(above)) / 2
    if middle <= 0:
        return 0.0
    digits = int(math.floor(math.log10(middle))) - 1
    return round(middle, -digits) if digits > 0 else round(middle, max(0, -digits))


def _metrics(split: Split, unit: str) -> dict[str, Any]:
    return {
        "threshold": split.threshold,
        "input_unit": unit,
        "above_calls": split.above_calls,
        "above_timeouts": split.above_timeouts,
        "below_calls": split.below_calls,
        "below_timeouts": split.below_timeouts,
        "p_value": split.p_value,
        "slowdown": round(split.slowdown, 2),
    }
