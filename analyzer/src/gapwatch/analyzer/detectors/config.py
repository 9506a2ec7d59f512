"""Thresholds of every detector, with their defaults: what each needs before it speaks.

Override per analysis through ``DetectionContext.thresholds``, e.g.
``{"retry_loop": {"min_repeats": 4}}`` or ``{"retry_loop.min_repeats": 4}``.

Every detector has a minimum support (how many occurrences, over how many sessions) and a
minimum effect (a rate or a ratio). Where a subject's own traffic grows, so does the evidence it
needs: rates are tested against a base rate (``base_*``, ``alpha``), so a subject with ten
thousand calls needs proportionally more failures than one with forty, and shares are taken of
the subject's own traffic (``min_loop_share``, ``min_refusal_share``). ``docs/detectors.md``
explains each threshold in words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToolFailureHotspotThresholds:
    min_failures: int = 5  # failures of one (agent, tool, failure mode)
    min_sessions: int = 2  # spread over at least this many sessions
    min_failure_rate: float = 0.05  # of all the agent's calls of the tool
    base_failure_rate: float = 0.02  # what any tool fails at anyway (transient noise)
    alpha: float = 0.001  # the failures must exceed the base rate at this significance
    max_findings: int = 50


@dataclass(frozen=True)
class PermissionBlockedThresholds:
    min_refusals: int = 3  # refusals under one rule (agent, tool, refusal reason)
    min_sessions: int = 2
    min_refusal_share: float = 0.01  # of the agent's calls of the tool
    max_findings: int = 50


@dataclass(frozen=True)
class TimeoutInputCorrelationThresholds:
    min_timeouts_above: int = 5  # timeouts on the large side of the threshold
    min_rate_above: float = 0.5  # share of large inputs that time out
    max_rate_below: float = 0.05  # share of small inputs that time out
    min_slowdown: float = 3.0  # geometric-mean latency ratio above/below, when nothing times out
    # …and the latency per unit of input must jump too: a tool whose time grows in step with its
    # input (reading a file twice as long takes twice as long) has no cliff to report
    min_unit_slowdown: float = 1.5
    min_calls_per_side: int = 5
    alpha: float = 0.001  # significance of the split (Fisher's exact test / Welch's t-test)
    max_findings: int = 50  # at most this many subjects are reported, the strongest first


@dataclass(frozen=True)
class DelegationFailureThresholds:
    min_failures: int = 5
    min_failure_rate: float = 0.2
    min_sessions: int = 2
    base_failure_rate: float = 0.05  # what delegations fail at anyway
    alpha: float = 0.001  # the failures must exceed the base rate at this significance
    min_alternative_calls: int = 10  # another target of the same category must have this many
    max_findings: int = 50


@dataclass(frozen=True)
class RetryLoopThresholds:
    min_repeats: int = 3  # identical calls (or attempts) in one trace make a loop
    min_loops: int = 3  # loops of one (agent, tool) in the window
    min_loop_share: float = 0.02  # …and at least this share of the traces calling the tool
    max_findings: int = 50


@dataclass(frozen=True)
class UnusedToolThresholds:
    min_offers: int = 20  # model requests that offered the tool
    min_sessions: int = 3  # …spread over at least this many sessions
    max_call_rate: float = 0.01  # calls per offer at or below this is "rarely"
    max_findings: int = 50


@dataclass(frozen=True)
class RepeatedRequestThresholds:
    max_distance: float = 0.4  # ngramDistanceUTF8 between normalized requests
    min_sessions: int = 3  # distinct sessions asking the same thing
    min_unresolved_sessions: int = 3  # …of which the agent did not deliver
    min_unresolved_share: float = 0.3  # …as a share of the sessions asking it
    alpha: float = 0.01  # the unresolved share must exceed the fleet's own at this significance
    reask_within_s: float = 15 * 60  # the same user asking again this soon: not delivered
    negative_rating: float = 0.0  # ratings at or below this (−1…1 or 0…1 scales) are negative
    negative_stars: float = 2.0  # ratings in (1, 5] at or below this (1–5 stars) are negative
    max_texts: int = 500  # most frequent distinct requests compared pairwise
    max_findings: int = 50


@dataclass(frozen=True)
class CostWasteThresholds:
    min_wasted_tokens: int = 20_000
    min_waste_share: float = 0.15  # wasted / all tokens of the agent's runs
    outlier_factor: float = 3.0  # a run above this × the agent's median is an outlier
    # failed runs are waste only when they cost more than the agent's successful runs: a run
    # that fails as cheaply as it succeeds is a failure (other detectors), not a cost problem
    failed_cost_factor: float = 1.5
    min_runs: int = 10
    max_findings: int = 50


@dataclass(frozen=True)
class VersionRegressionThresholds:
    min_samples: int = 20  # runs per version on each side
    min_rate_increase: float = 0.05  # absolute error-rate increase
    min_ratio: float = 1.25  # latency or token increase factor
    alpha: float = 0.001  # per test, Bonferroni-corrected over the three metrics


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
    min_rate: float = 0.05  # of the agent's calls of the tool
    base_rate: float = 0.01  # what tools return an error payload for anyway
    alpha: float = 0.001
    max_findings: int = 50


@dataclass(frozen=True)
class NegativeFeedbackThresholds:
    min_count: int = 5  # negative ratings + corrected spans
    min_sessions: int = 2
    min_negative_rate: float = 0.3  # negative / rated, when ratings exist
    base_negative_rate: float = 0.1  # what a good agent is rated down at anyway
    alpha: float = 0.001
    negative_rating: float = 0.0
    negative_stars: float = 2.0
    max_findings: int = 50


@dataclass(frozen=True)
class TrafficThresholds:
    """When an analysis says it saw too little data to say anything."""

    min_traces: int = 30  # below this, no detector can clear its minimum support
    min_agent_runs: int = 30
