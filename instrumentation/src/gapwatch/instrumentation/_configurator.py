"""``opentelemetry-instrument`` start-up hook: ``configure()`` from the environment alone.

Registered as the ``gapwatch`` ``opentelemetry_configurator`` entry point. When several
configurators are installed (``opentelemetry-distro`` also ships one), choose with
``OTEL_PYTHON_CONFIGURATOR=gapwatch``.
"""

from __future__ import annotations

import os
from typing import Any

from gapwatch.instrumentation._diagnostics import warn_internal
from gapwatch.instrumentation._settings import parse_bool


class GapwatchConfigurator:
    """Calls :func:`gapwatch.instrumentation.configure` with no arguments.

    The loader only calls ``configure(**kwargs)``; the SDK's configurator base class is private,
    so gapwatch does not subclass it.
    """

    def configure(self, **kwargs: Any) -> None:
        if parse_bool(os.environ, "OTEL_SDK_DISABLED", False):
            return
        from gapwatch.instrumentation._setup import configure

        try:
            configure()
        except Exception:
            # A broken tracing set-up must not stop the agent from starting.
            warn_internal("configurator", "configuration from the environment failed")
