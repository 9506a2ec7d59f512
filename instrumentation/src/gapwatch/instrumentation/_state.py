"""Process-wide state behind the manual API: which tracer to use and the current settings.

The span helpers read this on every call, so reads are plain attribute loads; writes happen at
configuration time (``configure()``, the instrumentor, :mod:`gapwatch.instrumentation.testing`).
"""

from __future__ import annotations

import threading

from opentelemetry import trace
from opentelemetry.trace import Tracer, TracerProvider

from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._settings import Settings, settings_from_env

INSTRUMENTATION_NAME = "gapwatch.instrumentation"
INSTRUMENTATION_VERSION = "0.1.0"

_lock = threading.Lock()
_tracer: Tracer | None = None
_provider: TracerProvider | None = None
_settings: Settings | None = None


def tracer() -> Tracer:
    """The tracer for gapwatch spans: the configured provider's, else the global one."""
    current = _tracer
    if current is None:
        with _lock:
            current = _tracer or _make_tracer(_provider)
            _set_tracer(current)
    return current


def settings() -> Settings:
    """The current settings, read from the environment on first use."""
    current = _settings
    if current is None:
        try:
            current = settings_from_env()
        except Exception:
            # A bad variable must not break the agent at its first tool call; configure()
            # is where configuration errors are raised.
            warn_internal("settings", "invalid gapwatch environment settings; using defaults")
            current = Settings()
        set_settings(current)
    return current


def set_settings(value: Settings | None) -> None:
    global _settings
    _settings = value


def set_tracer_provider(provider: TracerProvider | None) -> None:
    """Emit gapwatch spans through ``provider`` (``None``: the global provider)."""
    global _provider
    with _lock:
        _provider = provider
        _set_tracer(None)


def tracer_provider() -> TracerProvider | None:
    return _provider


def _set_tracer(value: Tracer | None) -> None:
    global _tracer
    _tracer = value


def _make_tracer(provider: TracerProvider | None) -> Tracer:
    if provider is None:
        return trace.get_tracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION)
    return provider.get_tracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION)
