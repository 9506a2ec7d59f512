"""Content capture: serialization, redaction and size caps for prompts, arguments and results.

Content is off unless enabled (``GAPWATCH_CAPTURE_CONTENT=true``). When on, every value passes
through :func:`prepare_content`: it is serialized to a string (JSON when possible), run through
the redactor (defaults mask API keys, bearer tokens, JWTs and e-mail addresses) and truncated to
the configured size, in that order, so a secret cut in half by truncation is already masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Redactor = Callable[[str], str]

TRUNCATION_MARK = "…[truncated]"
REDACTED = "[REDACTED]"

# Order matters: the header-style patterns run before the generic key pattern so that
# "Authorization: Bearer sk-…" keeps its label and loses only the secret.
_DEFAULT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), REDACTED),
    (
        re.compile(
            r"\b(?:sk|pk|rk)-(?:[A-Za-z0-9_-]*-)?[A-Za-z0-9]{16,}"  # OpenAI/Anthropic/Stripe style
            r"|\bgh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
            r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack tokens
            r"|\bAKIA[0-9A-Z]{16}\b"  # AWS access key ids
            r"|\bAIza[0-9A-Za-z_-]{30,}"  # Google API keys
        ),
        REDACTED,
    ),
    (
        re.compile(
            r"(?i)\b((?:api[_-]?key|access[_-]?token|secret|password|passwd|token)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]{4,}"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), "[EMAIL]"),
)


def default_redactor(text: str) -> str:
    """Mask API keys, bearer/basic credentials, JWTs, ``key=value`` secrets and e-mails."""
    for pattern, replacement in _DEFAULT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def serialize(value: Any) -> str:
    """A string for a content attribute: strings as-is, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    try:
        return json.dumps(value, default=_fallback, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def truncate(text: str, max_size: int) -> str:
    """Cut ``text`` to at most ``max_size`` characters, marking the cut."""
    if max_size <= 0 or len(text) <= max_size:
        return text
    keep = max(0, max_size - len(TRUNCATION_MARK))
    return text[:keep] + TRUNCATION_MARK


def prepare_content(value: Any, redactor: Redactor | None, max_size: int) -> str:
    """Serialize, redact, then cap ``value`` for export."""
    text = serialize(value)
    # Redact before truncating so the cap cannot split a secret past the pattern's reach;
    # cap the input first at a generous multiple to bound regex time on huge payloads.
    if max_size > 0 and len(text) > max_size * 4:
        text = text[: max_size * 4]
    if redactor is not None:
        text = redactor(text)
    return truncate(text, max_size)


def _fallback(value: Any) -> Any:
    for attr in ("model_dump", "dict", "_asdict"):
        method = getattr(value, attr, None)
        if callable(method):
            try:
                return method()
            except Exception:
                break
    return repr(value)
