"""The collector's error types; every domain error derives from :class:`CollectorError`."""

from __future__ import annotations


class CollectorError(Exception):
    """Base class of the collector's own errors."""


class ConfigurationError(CollectorError):
    """A setting is invalid; raised at start-up so a bad config fails fast."""


class StorageUnavailable(CollectorError):
    """ClickHouse could not take a write; the caller should retry later."""


class UnstorableData(CollectorError):
    """ClickHouse refused a write because of what it holds, not because it is unavailable:
    retrying the same data can never succeed, so the drainer isolates and quarantines it."""
