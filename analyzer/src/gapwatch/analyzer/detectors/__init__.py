"""The twelve gap detectors and how to run them.

    from gapwatch.analyzer.detectors import run_detectors
    findings = run_detectors(context)                       # all, in registry order
    findings = run_detectors(context, only=["retry_loop"])  # a subset

Each detector is one module plus one ``.sql`` file (``<id>.py``, ``<id>.sql``); thresholds live
in :mod:`gapwatch.analyzer.detectors.config`. Results are deterministic for the same data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from gapwatch.analyzer.detectors.base import (
    DetectionContext,
    Detector,
    Evidence,
    Finding,
    Subject,
)
from gapwatch.analyzer.detectors.cost_waste import CostWasteDetector
from gapwatch.analyzer.detectors.delegation_failure import DelegationFailureDetector
from gapwatch.analyzer.detectors.error_spike import ErrorSpikeDetector
from gapwatch.analyzer.detectors.negative_feedback import NegativeFeedbackDetector
from gapwatch.analyzer.detectors.permission_blocked import PermissionBlockedDetector
from gapwatch.analyzer.detectors.repeated_request import RepeatedRequestDetector
from gapwatch.analyzer.detectors.retry_loop import RetryLoopDetector
from gapwatch.analyzer.detectors.soft_failure import SoftFailureDetector
from gapwatch.analyzer.detectors.timeout_input_correlation import (
    TimeoutInputCorrelationDetector,
)
from gapwatch.analyzer.detectors.tool_failure_hotspot import ToolFailureHotspotDetector
from gapwatch.analyzer.detectors.unused_tool import UnusedToolDetector
from gapwatch.analyzer.detectors.version_regression import VersionRegressionDetector

logger = logging.getLogger(__name__)

DETECTORS: tuple[Detector, ...] = (
    ToolFailureHotspotDetector(),
    PermissionBlockedDetector(),
    TimeoutInputCorrelationDetector(),
    DelegationFailureDetector(),
    RetryLoopDetector(),
    UnusedToolDetector(),
    RepeatedRequestDetector(),
    CostWasteDetector(),
    VersionRegressionDetector(),
    ErrorSpikeDetector(),
    SoftFailureDetector(),
    NegativeFeedbackDetector(),
)
DETECTOR_IDS: tuple[str, ...] = tuple(d.id for d in DETECTORS)


def get_detector(detector_id: str) -> Detector:
    """The registered detector with this id; ``KeyError`` for an unknown id."""
    for detector in DETECTORS:
        if detector.id == detector_id:
            return detector
    raise KeyError(f"unknown detector {detector_id!r}; known: {', '.join(DETECTOR_IDS)}")


def run_detectors(context: DetectionContext, only: Iterable[str] | None = None) -> list[Finding]:
    """Run the registered detectors (or ``only`` those ids) and return their findings in order."""
    selected = DETECTORS if only is None else tuple(get_detector(i) for i in only)
    findings: list[Finding] = []
    for detector in selected:
        found = detector.detect(context)
        logger.debug("detector %s: %d findings", detector.id, len(found))
        findings.extend(found)
    return findings


__all__ = [
    "DETECTORS",
    "DETECTOR_IDS",
    "DetectionContext",
    "Detector",
    "Evidence",
    "Finding",
    "Subject",
    "get_detector",
    "run_detectors",
]
