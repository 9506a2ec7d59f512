"""Runtime settings of the manual API, read from ``GAPWATCH_*`` / ``OTEL_*`` environment variables.

Only what span emission needs at run time lives here (content capture, redaction, caps,
classification); exporter and resource options are read by ``configure()``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gapwatch.instrumentation._content import Redactor, default_redactor
from gapwatch.instrumentation._outcome import ResultClassifier, default_result_classifier

DEFAULT_MAX_VALUE_SIZE = 4096

_TRUE = {"1", "true", "yes", "on", "span_only", "span_and_event"}
_FALSE = {"0", "false", "no", "off", "no_content", "", "none"}


class ConfigurationError(ValueError):
    """A gapwatch setting is invalid; raised at configuration time, never while tracing."""


@dataclass(frozen=True)
class Settings:
    """What the span helpers consult on every call."""

    capture_content: bool = False
    redactor: Redactor | None = default_redactor
    max_value_size: int = DEFAULT_MAX_VALUE_SIZE
    result_classifier: ResultClassifier | None = default_result_classifier
    blocked_exceptions: tuple[type[BaseException], ...] = ()
    timeout_exceptions: tuple[type[BaseException], ...] = ()
    agent_version: str | None = None
    prompt_version: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def settings_from_env(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build :class:`Settings` from the environment; keyword arguments win over variables."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {
        "capture_content": _capture_content(env),
        "max_value_size": parse_int(env, "GAPWATCH_MAX_VALUE_SIZE", DEFAULT_MAX_VALUE_SIZE),
        "agent_version": env.get("GAPWATCH_AGENT_VERSION") or None,
        "prompt_version": env.get("GAPWATCH_PROMPT_VERSION") or None,
    }
    if "GAPWATCH_REDACTOR" in env:
        spec = env["GAPWATCH_REDACTOR"].strip()
        values["redactor"] = None if spec.lower() in {"", "none"} else load_object(spec)
    if env.get("GAPWATCH_RESULT_CLASSIFIER"):
        values["result_classifier"] = load_object(env["GAPWATCH_RESULT_CLASSIFIER"])
    values["blocked_exceptions"] = _exception_types(env.get("GAPWATCH_BLOCKED_EXCEPTIONS", ""))
    values["timeout_exceptions"] = _exception_types(env.get("GAPWATCH_TIMEOUT_EXCEPTIONS", ""))
    values.update({key: value for key, value in overrides.items() if value is not None})
    if values["max_value_size"] < 0:
        raise ConfigurationError("GAPWATCH_MAX_VALUE_SIZE must be >= 0")
    return Settings(**values)


def parse_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean")


def parse_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not an integer") from None


def parse_list(raw: str | None) -> list[str]:
    """Comma-separated names, blanks dropped."""
    return [item.strip() for item in (raw or "").split(",") if item.strip()]


def load_object(spec: str) -> Any:
    """Import ``module:qualname`` (or ``module.attr``) and return the object it names."""
    module_name, sep, qualname = spec.strip().partition(":")
    if not sep:
        module_name, _, qualname = spec.strip().rpartition(".")
    if not module_name or not qualname:
        raise ConfigurationError(f"{spec!r} is not of the form module:qualname")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot load {spec!r}: {exc}") from exc
    return obj


def _capture_content(env: Mapping[str, str]) -> bool:
    if "GAPWATCH_CAPTURE_CONTENT" in env:
        return parse_bool(env, "GAPWATCH_CAPTURE_CONTENT", False)
    # Honour the switch of OpenTelemetry's own GenAI instrumentations too.
    return parse_bool(env, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", False)


def _exception_types(raw: str) -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = []
    for spec in parse_list(raw):
        obj = load_object(spec)
        if not (isinstance(obj, type) and issubclass(obj, BaseException)):
            raise ConfigurationError(f"{spec!r} is not an exception class")
        types.append(obj)
    return tuple(types)
