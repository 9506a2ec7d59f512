"""Remove secrets from attribute values before anything is stored.

Two rules, both configurable: attributes whose *key* names a secret (``authorization``,
``api_key``, ``password`` …) are replaced whole, and values are scanned for secret-shaped text
(bearer tokens, JWTs, common API-key formats, e-mail addresses), each match replaced by a
marker naming what was removed.

    redactor = Redactor.default()
    redactor("http.request.header.authorization", "Bearer abc")  # → "[REDACTED]"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

REDACTED = "[REDACTED]"

DEFAULT_SECRET_KEYS = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "password",
    "passwd",
    "secret",
    "api_key",
    "api-key",
    "apikey",
    "access_token",
    "refresh_token",
    "private_key",
    "client_secret",
    "x-api-key",
)

# (name, pattern); the name shows up in the marker so a reader knows what was there.
DEFAULT_PATTERNS: tuple[tuple[str, str], ...] = (
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("bearer", r"\b(?i:bearer)[ \t\n\r\f\v]+[A-Za-z0-9._~+/=-]{8,}"),
    ("api_key", r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"),
    ("aws_key", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    ("slack_token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
)


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Redactor:
    """Callable ``(key, value) -> value``; matches keys case-insensitively (ASCII) by substring.

    Patterns use ASCII classes (``\\b``, ``\\w``, ``\\s``), as RE2 does: ClickHouse applies the
    same patterns when it parses OTLP itself (see ``sql_render.py``).
    """

    secret_keys: tuple[str, ...]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    # every pattern as one alternation: almost no value matches, so one scan decides
    any_secret: re.Pattern[str] | None = None
    # attribute keys repeat endlessly; decide each once (bounded: cleared when it grows large)
    _key_decisions: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def default(
        cls,
        extra_keys: Iterable[str] = (),
        extra_patterns: Iterable[str] = (),
    ) -> Redactor:
        compiled = [(name, re.compile(pattern, re.ASCII)) for name, pattern in DEFAULT_PATTERNS]
        compiled += [(f"custom{i}", re.compile(p, re.ASCII)) for i, p in enumerate(extra_patterns)]
        keys = tuple(_ascii_lower(k) for k in (*DEFAULT_SECRET_KEYS, *extra_keys) if k)
        combined = re.compile(
            "|".join(f"(?:{pattern.pattern})" for _, pattern in compiled), re.ASCII
        )
        return cls(keys, tuple(compiled), combined)

    def __call__(self, key: str, value: str) -> str:
        if key and self._is_secret_key(key):
            return REDACTED if value else value
        if len(value) < 8 or (self.any_secret is not None and not self.any_secret.search(value)):
            return value
        for name, pattern in self.patterns:
            if pattern.search(value):
                value = pattern.sub(f"[REDACTED:{name}]", value)
        return value

    def _is_secret_key(self, key: str) -> bool:
        decision = self._key_decisions.get(key)
        if decision is None:
            if len(self._key_decisions) > 10_000:
                self._key_decisions.clear()
            decision = self._key_decisions[key] = self._decide_key(key)
        return decision

    def _decide_key(self, key: str) -> bool:
        lowered = _ascii_lower(key)
        # gen_ai.usage.*_tokens are counts, not credentials
        if lowered.endswith("_tokens") or lowered.endswith(".tokens"):
            return False
        return any(secret in lowered for secret in self.secret_keys)
