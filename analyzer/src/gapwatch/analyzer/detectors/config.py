"""Thresholds of every detector, with their defaults.

Override per analysis through ``DetectionContext.thresholds``, e.g.
``{"retry_loop": {"min_repeats": 4}}`` or ``{"retry_loop.min_repeats": 4}``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToolFailureHotspotThresholds:
    min_failures: int = 5  # failures of one (tool, failure mode)
    min_sessions: int = 2  # spread over at least this many sessions
    min_failure_rate: float = 0.05  # of all the tool's calls
    max_findings: int = 50


@dataclass(frozen=True)
class PermissionBlockedThresholds:
    min_refusals: int = 3
    min_sessions: int = 2
    max_findings: int = 50


@dataclass(frozen=True)
class TimeoutInputCorrelationThresholds:
    min_timeouts_above: int = 5  # timeouts on the large side of the threshold
    min_rate_above: float = 0.5  # share of large inputs that time out
    max_rate_below: float = 0.05  # share of small inputs that time out
    min_slowdown: float = 3.0  # geometric-mean latency ratio above/below, when nothing times out
    min_calls_per_side: int = 5
    alpha: float = 0.001  # significance of the split (Fisher's exact test / Welch's t-test)
    max_findings: int = 50  # at most this many subjects are reported, the strongest first


@dataclass(frozen=True)
class DelegationFailureThresholds:
    min_failures: int = 5
    min_failure_rate: float = 0.2
    min_sessions: int = 2
    min_alternative_calls: int = 10  # another target of the same category must have this many
    max_findings: int = 50


@dataclass(frozen=True)
class RetryLoopThresholds:
    min_repeats: int = 3  # identical calls (or attempts) in one trace make a loop
    min_loops: int = 2  # loops of one tool in the window
    max_findings: int = 50


@dataclass(frozen=True)
class UnusedToolThresholds:
    min_offers: int = 20  # model requests that offered the tool
    max_call_rate: float = 0.01  # calls per offer at or below this is "rarely"
    max_findings: int = 50


@dataclass(frozen=True)
class RepeatedRequestThresholds:
    max_distance: float = 0.4  # ngramDistanceUTF8 between normalized requests
    min_sessions: int = 3  # distinct sessions asking the same thing
    min_unresolved_sessions: int = 2  # …of which ended unresolved
    min_sessions_when_resolved: int = 20  # or this many sessions even when all resolved
    negative_rating: float = 0.0  # ratings at or below this (−1…1 or 0…1 scales) are negative
    negative_stars: float = 2.0  # ratings in (1, 5] at or below this (1–5 stars) are negative
    max_texts: int = 500  # most frequent distinct requests compared pairwise
    max_findings: int = 50


@dataclass(frozen=True)
class CostWasteThresholds:
    min_wasted_tokens: int = 20_000
    min_waste_share: float = 0.15  # wasted / all tokens of the agent's runs
    outlier_factor: float = 3.0  # a run above this × the agent's median is an outlier
    min_runs: int = 10
    max_findings: int = 50


@dataclass(frozen=True)
class VersionRegressionThresholds:
    min_samples: int = 30  # spans per version on each side
    min_rate_increase: float = 0.05  # absolute error-rate increase
    min_ratio: float = 1.25  # latency or token increase factor
    alpha: float = 0.01  # per test, Bonferroni-corrected over the three metrics


@dataclass(frozen=True)
class ErrorSpikeThresholds:
    recent_hours: float = 1.0  # the recent window at the end of the analysis window
    min_errors: int = 5  # failures in the recent window
    min_baseline_calls: int = 50  # the subject must have a baseline to spike against
    min_factor: float = 3.0  # recent failure rate ≥ this × the baseline rate
    min_recent_rate: float = 0.1
    alpha: float = 0.001
    max_findings: int = 50


@dataclass(frozen=True)
class SoftFailureThresholds:
    min_count: int = 5
    min_sessions: int = 2
    max_findings: int = 50


@dataclass(frozen=True)
class NegativeFeedbackThresholds:
    min_count: int = 5  # negative ratings + corrected spans
    min_sessions: int = 2
    min_negative_rate: float = 0.3  # negative / rated, when ratings exist
    negative_rating: float = 0.0
    negative_stars: float = 2.0
    max_findings: int = 50
