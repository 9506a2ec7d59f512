"""``GapwatchInstrumentor``: zero-code instrumentation, configured by environment only.

Registered as the ``gapwatch`` ``opentelemetry_instrumentor`` entry point, so
``opentelemetry-instrument python my_agent.py`` applies it. It wraps:

* callables named in ``GAPWATCH_AGENT_CALLABLES``, ``GAPWATCH_DELEGATION_CALLABLES`` and
  ``GAPWATCH_TOOL_CALLABLES`` (comma-separated ``module:qualname``; wrapped when the module is
  imported), taking names from their arguments — ``GAPWATCH_DELEGATION_TARGET_ARG``,
  ``GAPWATCH_DELEGATION_CATEGORY_ARG``, ``GAPWATCH_DELEGATION_TASK_ARG``,
  ``GAPWATCH_TOOL_NAME_ARG``, ``GAPWATCH_TOOL_CALL_ID_ARG``, ``GAPWATCH_INPUT_SIZE_ARG``,
  ``GAPWATCH_AGENT_NAME_ARG`` (each a comma-separated list of parameter names);
* the frameworks in ``GAPWATCH_FRAMEWORKS`` (default ``mcp,langchain``; ``none`` for none) when
  they are installed.

    GapwatchInstrumentor().instrument()      # or with keyword arguments instead of env
    GapwatchInstrumentor().uninstrument()    # every original restored
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from gapwatch.instrumentation._patching import Patcher
from gapwatch.instrumentation._settings import ConfigurationError, parse_list
from gapwatch.instrumentation._wrapping import (
    ArgumentNames,
    agent_wrapper,
    delegation_wrapper,
    tool_wrapper,
)

DEFAULT_FRAMEWORKS = ("mcp", "langchain")
# framework → (module that must be installed, module implementing the integration)
FRAMEWORKS: dict[str, tuple[str, str]] = {
    "mcp": ("mcp", "gapwatch.instrumentation.frameworks.mcp"),
    "langchain": ("langchain_core", "gapwatch.instrumentation.frameworks.langchain"),
}

logger = logging.getLogger(__name__)

_ARG_VARIABLES = {
    "target": "GAPWATCH_DELEGATION_TARGET_ARG",
    "category": "GAPWATCH_DELEGATION_CATEGORY_ARG",
    "task": "GAPWATCH_DELEGATION_TASK_ARG",
    "tool_name": "GAPWATCH_TOOL_NAME_ARG",
    "call_id": "GAPWATCH_TOOL_CALL_ID_ARG",
    "input_size": "GAPWATCH_INPUT_SIZE_ARG",
    "agent_name": "GAPWATCH_AGENT_NAME_ARG",
}


class GapwatchInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Wraps named agent, delegation and tool callables and supported frameworks.

    Keyword arguments of :meth:`instrument` override the environment: ``agent_callables``,
    ``delegation_callables``, ``tool_callables`` (lists of ``module:qualname``), ``frameworks``
    (list of names) and ``argument_names`` (an :class:`ArgumentNames`).
    """

    # One record of what is patched, on the class: BaseInstrumentor hands every caller the same
    # instance and runs __init__ again each time, so a per-instance record set there would be
    # replaced by an empty one and uninstrument() on a new GapwatchInstrumentor() restore nothing.
    _patcher: ClassVar[Patcher] = Patcher()

    def instrumentation_dependencies(self) -> Collection[str]:
        # Every integration is optional and checks for its own library.
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        env: Mapping[str, str] = kwargs.get("env") or os.environ
        names = kwargs.get("argument_names") or argument_names_from_env(env)
        groups = (
            ("agent_callables", "GAPWATCH_AGENT_CALLABLES", agent_wrapper(names)),
            ("delegation_callables", "GAPWATCH_DELEGATION_CALLABLES", delegation_wrapper(names)),
            ("tool_callables", "GAPWATCH_TOOL_CALLABLES", tool_wrapper(names)),
        )
        for key, variable, wrapper in groups:
            specs = kwargs.get(key)
            for spec in specs if specs is not None else parse_list(env.get(variable)):
                module_name, qualname = _split(spec)
                self._patcher.when_imported(module_name, qualname, wrapper)
        frameworks = kwargs.get("frameworks")
        if frameworks is None:
            raw = env.get("GAPWATCH_FRAMEWORKS")
            frameworks = DEFAULT_FRAMEWORKS if raw is None else parse_list(raw)
        for framework in frameworks:
            if framework == "none":
                continue
            if framework not in FRAMEWORKS:
                raise ConfigurationError(
                    f"unknown framework {framework!r} in GAPWATCH_FRAMEWORKS "
                    f"(known: {', '.join(sorted(FRAMEWORKS))})"
                )
            library, integration = FRAMEWORKS[framework]
            if importlib.util.find_spec(library) is None:
                logger.debug("gapwatch: %s is not installed; skipping", library)
                continue
            importlib.import_module(integration).instrument(self._patcher)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patcher.restore()


def argument_names_from_env(env: Mapping[str, str]) -> ArgumentNames:
    """:class:`ArgumentNames` with the ``GAPWATCH_*_ARG`` variables that are set."""
    overrides = {
        field: tuple(parse_list(env[variable]))
        for field, variable in _ARG_VARIABLES.items()
        if variable in env
    }
    return ArgumentNames(**overrides)


def _split(spec: str) -> tuple[str, str]:
    module_name, sep, qualname = spec.strip().partition(":")
    if not sep or not module_name or not qualname:
        raise ConfigurationError(f"{spec!r} is not of the form module:qualname")
    return module_name, qualname
