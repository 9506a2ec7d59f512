"""Bearer-token check for OTLP ingest, in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Iterable


class TokenAuthenticator:
    """Accepts ``Authorization: Bearer <token>`` for any configured token; open when none are."""

    def __init__(self, tokens: Iterable[str]):
        self._tokens = tuple(token.encode() for token in tokens if token)

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    def allows(self, authorization: str | None) -> bool:
        if not self._tokens:
            return True
        if not authorization:
            return False
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        candidate = presented.strip().encode()
        # compare against every token, so timing does not reveal which one nearly matched
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(candidate, token)
        return matched
