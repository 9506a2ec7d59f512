"""Verification: did an implemented change move the subject's failure rate?

    result = verify(store, proposal, now=now, policy=VerificationPolicy())
    result.outcome  # "verified" | "regressed" | "inconclusive" | "insufficient_data"

The metric is the share of the subject's spans that end in the detector's bad outcomes
(blocked for permission findings, timeout for timeout findings, any failure otherwise). The
"after" window runs from ``implemented_at`` to now (capped), the "before" window is the same
length just before it. Fisher's exact test when a cell is small, else a two-proportion z-test.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scipy import stats

from gapwatch.analyzer.proposals.model import SYSTEM_ACTOR, HistoryEntry, Proposal, Status
from gapwatch.analyzer.store import Store

SQL_PACKAGE = "gapwatch.analyzer.proposals"
FAILURE_OUTCOMES = ("error", "soft_error", "blocked", "timeout")
_BAD_OUTCOMES: dict[str, tuple[str, ...]] = {
    "permission_blocked": ("blocked",),
    "timeout_input_correlation": ("timeout",),
    "soft_failure": ("soft_error",),
}
# older times (a typo, a row written before the API checked them) are outside DateTime64's range
# once the "before" window is subtracted, and no agent shipped a change before this anyway
EARLIEST_SHIPPED = datetime(2000, 1, 1, tzinfo=UTC)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerificationPolicy:
    min_samples: int = 30  # spans in each window before a verdict is given
    alpha: float = 0.05
    max_window: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class Verification:
    outcome: str
    before_total: int
    before_bad: int
    after_total: int
    after_bad: int
    p_value: float | None
    test: str
    window_seconds: float
    checked_at: datetime

    @property
    def before_rate(self) -> float:
        return self.before_bad / self.before_total if self.before_total else 0.0

    @property
    def after_rate(self) -> float:
        return self.after_bad / self.after_total if self.after_total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "metric": "failure_rate",
            "before": {"total": self.before_total, "bad": self.before_bad,
                       "rate": round(self.before_rate, 6)},
            "after": {"total": self.after_total, "bad": self.after_bad,
                      "rate": round(self.after_rate, 6)},
            "p_value": self.p_value,
            "test": self.test,
            "window_seconds": self.window_seconds,
            "checked_at": self.checked_at.isoformat(),
        }


def verify(
    store: Store, proposal: Proposal, *, now: datetime, policy: VerificationPolicy
) -> Verification | None:
    """Compare before vs after for an implemented proposal; None when it is not implemented."""
    if proposal.status is not Status.IMPLEMENTED or proposal.implemented_at is None:
        return None
    start = proposal.implemented_at
    if start < EARLIEST_SHIPPED:
        logger.warning("proposal %s: implemented_at %s is not a real release time; not verified",
                       proposal.id, start.isoformat())
        return None
    length = min(now - start, policy.max_window)
    if length <= timedelta(0):
        return None
    counts = store.select(SQL_PACKAGE, "verification_counts", {
        **_subject_filters(proposal),
        "bad_outcomes": list(_BAD_OUTCOMES.get(proposal.detector, FAILURE_OUTCOMES)),
        "before_start": start - length,
        "split": start,
        "after_end": start + length,
    })[0]
    return judge(
        int(counts["before_total"]), int(counts["before_bad"]),
        int(counts["after_total"]), int(counts["after_bad"]),
        policy=policy, window=length, now=now,
    )


def judge(
    before_total: int, before_bad: int, after_total: int, after_bad: int, *,
    policy: VerificationPolicy, window: timedelta, now: datetime,
) -> Verification:
    """The verdict from the four counts."""
    if min(before_total, after_total) < policy.min_samples:
        return Verification("insufficient_data", before_total, before_bad, after_total,
                            after_bad, None, "", window.total_seconds(), now)
    p_value, test = _p_value(before_total, before_bad, after_total, after_bad)
    before_rate, after_rate = before_bad / before_total, after_bad / after_total
    if p_value < policy.alpha and after_rate < before_rate:
        outcome = Status.VERIFIED.value
    elif p_value < policy.alpha and after_rate > before_rate:
        outcome = Status.REGRESSED.value
    else:
        outcome = "inconclusive"
    return Verification(outcome, before_total, before_bad, after_total, after_bad,
                        p_value, test, window.total_seconds(), now)


def apply_verification(
    proposal: Proposal, result: Verification, *, now: datetime
) -> tuple[Proposal, HistoryEntry | None]:
    """Record the numbers; move to verified/regressed when the test is conclusive."""
    stamp = max(now, proposal.updated_at + timedelta(microseconds=1))
    updated = replace(proposal, verification=result.as_dict(), updated_at=stamp)
    if result.outcome not in (Status.VERIFIED.value, Status.REGRESSED.value):
        return updated, None
    target = Status(result.outcome)
    reason = (
        f"failure rate {result.before_rate:.1%} → {result.after_rate:.1%} "
        f"({result.before_bad}/{result.before_total} before, "
        f"{result.after_bad}/{result.after_total} after, {result.test} p={result.p_value:.3g})"
    )
    # the evidence as it stands now is what a recurrence must exceed to reopen
    updated = replace(updated, status=target, baseline_count=proposal.evidence_count,
                      baseline_severity=proposal.severity)
    entry = HistoryEntry(proposal.id, stamp, proposal.status.value, target.value, SYSTEM_ACTOR,
                         reason, result.as_dict())
    return updated, entry


def _p_value(n1: int, x1: int, n2: int, x2: int) -> tuple[float, str]:
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    total = n1 + n2
    expected_min = min(
        (n1 * (x1 + x2)) / total, (n1 * (total - x1 - x2)) / total,
        (n2 * (x1 + x2)) / total, (n2 * (total - x1 - x2)) / total,
    )
    if expected_min < 5:
        _, p = stats.fisher_exact(table, alternative="two-sided")
        return float(p), "fisher_exact"
    pooled = (x1 + x2) / total
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0, "two_proportion_z"
    z = (x1 / n1 - x2 / n2) / se
    return float(2 * stats.norm.sf(abs(z))), "two_proportion_z"


def _subject_filters(proposal: Proposal) -> dict[str, Any]:
    subject = proposal.subject
    if subject.get("tool"):
        span_types = ["tool"]
    elif subject.get("target_agent"):
        span_types = ["delegation", "agent"]
    else:
        span_types = ["agent"]
    return {
        "service": subject.get("service", ""),
        "agent": subject.get("agent", ""),
        "tool": subject.get("tool", ""),
        "target_agent": subject.get("target_agent", ""),
        "error_type": subject.get("error_type", ""),
        "span_types": span_types,
    }
