"""Tell from a request's serialized bytes, in one fast scan, whether anything in it needs redacting.

Walking every string of a decoded request in Python costs ~100 µs a span; most requests hold no
secret at all. Every string of a protobuf message lies in its encoding as contiguous bytes, so a
scan of the whole body with RE2 (linear time, ~3 µs a span) finds every place a secret could be:

* the redaction patterns, loosened so that whatever matches inside one string also matches in
  the body: word boundaries (``\\b``) are dropped, since the byte before a string is its length;
* the words secret keys are made of (``token``, ``passw``, ``secret``, ``key`` …); each hit's
  surrounding run of key characters is judged by the redactor's own key rule, so the
  ``gen_ai.usage.input_tokens`` in nearly every GenAI span does not force a walk.

No hit: no string can hold a secret and the request is stored as received. Any hit: the caller
walks the request (:mod:`gapwatch.collector.request_redaction`), which decides exactly.

    gate = RedactionGate(patterns=[...], key_words=["token", ...])
    gate.may_hold_secrets(body, is_secret_key)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import re2

# words secret keys are built from (see redaction.SECRET_WORDS); "token" is not followed by a
# lower-case "s": "tokens" are counts, while "tokenSource" or "token_id" start with the word
DEFAULT_KEY_WORDS = (
    "authorization",
    "cookie",
    "passw",
    "passphrase",
    "pwd",
    "secret",
    "credential",
    "key",
    "connection",
)
# a key's words may be joined by any printable ASCII ("api key" is "api" + "key"); the bytes
# around an encoded string are its tag and length, rarely printable
_KEY_CHARACTERS = frozenset(range(0x20, 0x7F))
_MAX_RUN = 512  # longer runs are not judged: the request is walked
# anchors and look-arounds: a loosened pattern with these is no superset in a body
_UNSAFE_IN_BODY = re.compile(r"\\[ABZGB]|\^|\$|\(\?[=!<]")
_CHARACTER_CLASS = re.compile(r"\[\^?\]?(?:\\.|[^\]])*\]")
_ESCAPED_CHARACTER = re.compile(r"\\[^A-Za-z0-9]")


class RedactionGate:
    def __init__(self, patterns: Iterable[str], key_words: Iterable[str] = DEFAULT_KEY_WORDS):
        loosened = [_loosen(pattern) for pattern in patterns]
        options = re2.Options()
        options.encoding = re2.Options.Encoding.LATIN1  # bytes in, whatever their encoding
        words = "|".join(re.escape(word) for word in key_words if word)
        key_alternative = f"(?P<key>(?i:{words})|(?i:token)(?:[^s]|$))" if words else ""
        # patterns first: at one position, a pattern wins over a key word
        alternatives = [f"(?:{p})" for p in loosened if p is not None]
        self._complete = all(p is not None for p in loosened)
        scan = "|".join([*alternatives, key_alternative] if key_alternative else alternatives)
        self._scan = re2.compile(scan.encode("latin-1"), options)

    def may_hold_secrets(self, data: bytes, is_secret_key: Callable[[str], bool]) -> bool:
        """False only when no string inside ``data`` can match a pattern or name a secret."""
        if not self._complete:
            return True  # a pattern that cannot be loosened safely: always look
        position = 0
        while True:
            match = self._scan.search(data, position)
            if match is None:
                return False
            if match.group(b"key") is None:
                return True
            if _names_a_secret(data, match.start(), match.end(), is_secret_key):
                return True
            # rescan from the next byte: a pattern may begin inside the key word
            position = match.start() + 1


def _loosen(pattern: str) -> str | None:
    """``pattern`` without word boundaries, or None when it cannot be checked in a body."""
    without_boundaries = pattern.replace(r"\b", "")
    # outside character classes and escapes, ^ and $ are anchors
    bare = _CHARACTER_CLASS.sub("", _ESCAPED_CHARACTER.sub("", without_boundaries))
    if _UNSAFE_IN_BODY.search(bare):
        return None
    try:
        re2.compile(without_boundaries)
    except re2.error:
        return None
    return without_boundaries


def _names_a_secret(
    data: bytes, start: int, end: int, is_secret_key: Callable[[str], bool]
) -> bool:
    """Judge the run of key characters around a key word as a key; the byte before a key is
    its length, which may itself look like a key character, so the run without it counts too."""
    lowest, highest = max(0, start - _MAX_RUN), min(len(data), end + _MAX_RUN)
    while start > lowest and data[start - 1] in _KEY_CHARACTERS:
        start -= 1
    while end < highest and data[end] in _KEY_CHARACTERS:
        end += 1
    if start == lowest > 0 or end == highest < len(data):
        return True
    run = data[start:end].decode("ascii", "replace")
    return is_secret_key(run) or is_secret_key(run[1:])
