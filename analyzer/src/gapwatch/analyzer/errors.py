"""The analyzer's error types; one handler maps each to an HTTP problem-JSON answer.

    raise ProposalNotFound(f"no proposal {proposal_id!r}")
"""

from __future__ import annotations

from gapwatch.collector.errors import ConfigurationError as _CollectorConfigurationError


class AnalyzerError(Exception):
    """Base class of the analyzer's own errors; ``status`` and ``title`` shape the problem JSON."""

    status = 500
    title = "Internal error"
    type_slug = "internal"


class ConfigurationError(AnalyzerError, _CollectorConfigurationError):
    """A setting is invalid; raised at start-up so a bad config fails fast."""

    title = "Invalid configuration"
    type_slug = "configuration"


class InvalidRequest(AnalyzerError, ValueError):
    """A value sent by the caller cannot be used (bad window, cursor, date)."""

    status = 400
    title = "Invalid request"
    type_slug = "invalid-request"


class ProposalNotFound(AnalyzerError):
    status = 404
    title = "Proposal not found"
    type_slug = "not-found"


class TraceNotFound(AnalyzerError):
    status = 404
    title = "Trace not found"
    type_slug = "not-found"


class InvalidTransition(AnalyzerError):
    """The requested lifecycle action is not allowed from the proposal's current status."""

    status = 409
    title = "Transition not allowed"
    type_slug = "invalid-transition"


class StoreUnavailable(AnalyzerError):
    """ClickHouse did not answer; the caller may retry."""

    status = 503
    title = "Store unavailable"
    type_slug = "store-unavailable"


class DetectorsUnavailable(AnalyzerError):
    """The detector package does not provide ``run_detectors``."""

    status = 503
    title = "Detectors unavailable"
    type_slug = "detectors-unavailable"
