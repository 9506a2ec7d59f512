"""Decide what is a secret: by the key that names a value, and by the shape of text.

Two rules, both configurable. A value whose *key* names a secret is replaced whole: keys are
split into words (on ``.``, ``_``, ``-``, other punctuation and camelCase) and compared word by
word, so ``token``, ``x-auth-token``, ``sessionToken``, ``api.key`` and ``private-key`` are
secrets while ``gen_ai.usage.input_tokens``, ``max_tokens`` and ``llm.token_count.prompt``
(counts of model tokens) are not. And text is scanned for secret-shaped pieces (bearer and
basic credentials, JWTs, common API-key formats, secrets in URLs and ``name=value`` pairs,
e-mail addresses), each replaced by a marker naming what was removed.

:func:`~gapwatch.collector.request_redaction.redact_request` applies these rules to every
string of a request before it is logged, so the write-ahead log holds what the table holds.

    redactor = Redactor.default()
    redactor("http.request.header.authorization", "Bearer abc")  # → "[REDACTED]"
    redactor.text("see https://x.io/?password=hunter2")   # → "see https://x.io/[REDACTED:…]"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from gapwatch.collector.redaction_gate import DEFAULT_KEY_WORDS, RedactionGate

REDACTED = "[REDACTED]"

# a key naming any of these words (or adjacent pair, written together) holds a secret
SECRET_WORDS = frozenset(
    {
        "authorization",
        "cookie",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "credential",
        "credentials",
        "apikey",
        "privatekey",
        "accesskey",
        "secretkey",
        "signingkey",
        "encryptionkey",
        "connectionstring",
    }
)
# "token" next to one of these words is a count of model tokens, not a credential
TOKEN_COUNT_WORDS = frozenset(
    {
        "count", "counts", "usage", "limit", "limits", "length", "size", "total", "number",
        "num", "budget", "max", "min", "estimate", "type", "kind", "index", "offset", "rate",
        "price", "cost", "ids", "logprob", "logprobs", "probability",
    }
)  # fmt: skip

# What the analyzer's SQL-rendering path (``sql_render.py``) matches keys by: substrings, as
# ClickHouse's ``multiSearchAny`` can. The collector itself decides by words, before the WAL.
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

# names of secret parameters in URLs, query strings, JSON and ``name=value`` text
_SECRET_PARAMETER = (
    r"(?:password|passwd|pwd|passphrase|secret|client_secret|token|access_token|"
    r"refresh_token|id_token|auth_token|session_token|api_key|apikey|api-key|private_key|"
    r"x-amz-signature|x-amz-credential)"
)
# a value: quoted whole, else up to a separator
_PARAMETER_VALUE = r"""(?:"[^"\n]*"|'[^'\n]*'|[^\s&,;"'<>]{3,})"""

# (name, pattern); the name shows up in the marker so a reader knows what was there. Every
# pattern is valid RE2 (no look-around, no back-references), so ClickHouse can apply it too.
DEFAULT_PATTERNS: tuple[tuple[str, str], ...] = (
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # also URL-encoded, where the word follows %20 or %3A rather than a word boundary
    ("bearer", r"(?:\b|%20|%3[Aa])(?i:bearer)(?:[ \t\n\r\f\v]+|%20|\+)[A-Za-z0-9._~+/=%-]{8,}"),
    # base64 with a capital after the first character, a digit or +/=: "Basic Configuration"
    # and "basic information" are words, "Basic dXNlcjpwYXNz" is a credential
    (
        "basic",
        r"(?:\b|%20|%3[Aa])(?i:basic)(?:[ \t]+|%20|\+)[A-Za-z0-9+/]+[A-Z0-9+/=][A-Za-z0-9+/=]*",
    ),
    ("api_key", r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"),
    ("stripe_key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("aws_key", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    (
        "aws_secret",
        r"(?i:secret[_ .-]?access[_ .-]?key)[\"' \t]*[:=][\"' \t]*[A-Za-z0-9/+]{40}",
    ),
    ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    ("github_token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    ("slack_token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    (
        "private_key",
        r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z ]*PRIVATE KEY-----|[\s\S]*)",
    ),
    # user:password@ in a URL
    ("url_credentials", r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"),
    # ?password=…, &pwd=…, "token": "…", api_key = …, and URL-encoded (api_key%3D…)
    (
        "secret_parameter",
        r"(?i:\b" + _SECRET_PARAMETER + r"""(?:["']?[ \t]*[:=][ \t]*|%3D))""" + _PARAMETER_VALUE,
    ),
    # a bare "key" or "sig" is a secret as a URL parameter only (?key=…, key%3D…)
    (
        "secret_parameter",
        r"(?i:(?:[?&;]|%26|%3F)(?:key|sig)(?:=|%3D)|\b(?:key|sig)%3D)[^\s&#,;\"'<>]{3,}",
    ),
    ("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
)


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Redactor:
    """Callable ``(key, value) -> value``: the whole value when ``key`` names a secret, else
    the value with secret-shaped text replaced. :meth:`text` applies the patterns alone.

    Patterns use ASCII classes (``\\b``, ``\\w``, ``\\s``), as RE2 does.
    """

    secret_keys: tuple[str, ...]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    # every pattern as one alternation: almost no value matches, so one scan decides
    any_secret: re.Pattern[str] | None = None
    # extra secret keys, as word sequences: ("x", "internal", "key")
    extra_key_words: tuple[tuple[str, ...], ...] = ()
    # a fast scan of serialized requests that tells when none needs a closer look
    gate: RedactionGate | None = field(default=None, compare=False, repr=False)
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
        extra = tuple(k for k in extra_keys if k)
        keys = tuple(_ascii_lower(k) for k in (*DEFAULT_SECRET_KEYS, *extra))
        combined = re.compile(
            "|".join(f"(?:{pattern.pattern})" for _, pattern in compiled), re.ASCII
        )
        extra_words = tuple(words for words in map(key_words, extra) if words)
        gate = RedactionGate(
            [pattern.pattern for _, pattern in compiled],
            [*DEFAULT_KEY_WORDS, *(words[0] for words in extra_words)],
        )
        return cls(keys, tuple(compiled), combined, extra_words, gate)

    def may_hold_secrets(self, serialized: bytes) -> bool:
        """Whether anything in this serialized message may need redacting (False: surely not)."""
        return self.gate is None or self.gate.may_hold_secrets(serialized, self.is_secret_key)

    def __call__(self, key: str, value: str) -> str:
        if key and self.is_secret_key(key):
            return REDACTED if value else value
        return self.text(value)

    def text(self, value: str) -> str:
        """``value`` with every secret-shaped piece replaced (the same object when none)."""
        if len(value) < 8 or (self.any_secret is not None and not self.any_secret.search(value)):
            return value
        for name, pattern in self.patterns:
            if pattern.search(value):
                value = pattern.sub(f"[REDACTED:{name}]", value)
        return value

    def is_secret_key(self, key: str) -> bool:
        decision = self._key_decisions.get(key)
        if decision is None:
            if len(self._key_decisions) > 10_000:
                self._key_decisions.clear()
            decision = self._key_decisions[key] = self._decide_key(key)
        return decision

    def _decide_key(self, key: str) -> bool:
        words = key_words(key)
        if any(_contains(words, extra) for extra in self.extra_key_words):
            return True
        # each word, and each adjacent pair written together ("api", "key" → "apikey")
        terms = set(words) | {a + b for a, b in zip(words, words[1:], strict=False)}
        secret = terms & SECRET_WORDS
        if secret == {"token"} and TOKEN_COUNT_WORDS.intersection(words):
            return False  # llm.token_count.prompt, gen_ai.token.type: model tokens
        return bool(secret)


_WORD_BREAK = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def key_words(key: str) -> tuple[str, ...]:
    """``"x-Auth.sessionToken"`` → ``("x", "auth", "session", "token")`` (ASCII lowered)."""
    return tuple(_ascii_lower(word) for word in _WORD_BREAK.split(key) if word)


def _contains(words: tuple[str, ...], run: tuple[str, ...]) -> bool:
    size = len(run)
    return any(words[i : i + size] == run for i in range(len(words) - size + 1))
