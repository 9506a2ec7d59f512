"""Bearer-token roles for the API: readers read, admins also change proposals and run analyses.

    router.get("/proposals", dependencies=[Depends(require_reader)])
    def approve(principal: Principal = Depends(require_admin)): ...

With no tokens configured the API is open (the embedded default on loopback); the app refuses
to start that way on a non-loopback address unless explicitly allowed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gapwatch.analyzer.errors import AnalyzerError, ConfigurationError
from gapwatch.analyzer.settings import LOOPBACK_HOSTS, Settings


class Role(StrEnum):
    READER = "reader"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    role: Role
    actor: str  # what the audit trail records when the caller names nobody


class Unauthorized(AnalyzerError):
    status = 401
    title = "Unauthorized"
    type_slug = "unauthorized"


class Forbidden(AnalyzerError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class TokenRoles:
    """Maps presented tokens to roles in constant time per token."""

    def __init__(self, settings: Settings):
        self.admin = sorted(settings.tokens("admin"))
        self.reader = sorted(settings.tokens("reader"))

    @property
    def open(self) -> bool:
        return not (self.admin or self.reader)

    def role_of(self, token: str) -> Role | None:
        presented = token.encode()
        if any(hmac.compare_digest(presented, t.encode()) for t in self.admin):
            return Role.ADMIN
        if any(hmac.compare_digest(presented, t.encode()) for t in self.reader):
            return Role.READER
        return None


def check_exposure(settings: Settings) -> None:
    """Refuse an open API on a non-loopback address unless ``allow_open_network`` is set."""
    roles = TokenRoles(settings)
    if roles.open and settings.host not in LOOPBACK_HOSTS and not settings.allow_open_network:
        raise ConfigurationError(
            f"refusing to serve an API without tokens on {settings.host}: set "
            "GAPWATCH_ADMIN_TOKENS / GAPWATCH_READER_TOKENS, bind to 127.0.0.1, or set "
            "GAPWATCH_ALLOW_OPEN_NETWORK=true"
        )


_bearer = HTTPBearer(auto_error=False, description="reader or admin token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def authenticate(request: Request, credentials: Credentials) -> Principal:
    """Who is calling: an admin when the API is open, else the role of the bearer token."""
    roles: TokenRoles = request.app.state.token_roles
    client = request.client.host if request.client else "unknown"
    if roles.open:
        return Principal(Role.ADMIN, f"anonymous@{client}")
    if credentials is None:
        raise Unauthorized("send Authorization: Bearer <token>")
    principal = principal_for_token(roles, credentials.credentials)
    if principal is None:
        raise Unauthorized("unknown token")
    return principal


def require_reader(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    return principal


def require_admin(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    if principal.role is not Role.ADMIN:
        raise Forbidden("this action needs an admin token")
    return principal


@dataclass(frozen=True)
class BrowserSession:
    """Who a browser session is, and the token its forms must echo (CSRF)."""

    principal: Principal
    csrf: str


class SessionCookies:
    """Signed session cookies for the web UI: a token entered once becomes a cookie.

    The cookie carries the role, the actor and an expiry, signed with HMAC-SHA256 under a key
    made at start-up, so a restart (the only way tokens change) ends every session. The CSRF
    token is derived from the cookie's nonce: a form from another site cannot know it.
    """

    NAME = "gapwatch_session"
    LIFETIME_S = 12 * 3600

    def __init__(self, key: bytes | None = None):
        self._key = key or secrets.token_bytes(32)

    def issue(self, principal: Principal, now: float | None = None) -> str:
        payload = json.dumps({"r": principal.role.value, "a": principal.actor,
                              "e": int((now or time.time()) + self.LIFETIME_S),
                              "n": secrets.token_hex(16)}, separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def read(self, cookie: str | None, now: float | None = None) -> BrowserSession | None:
        """The session a cookie proves, or None when it is absent, forged or expired."""
        body, _, signature = (cookie or "").partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            role, actor, expires, nonce = Role(fields["r"]), fields["a"], fields["e"], fields["n"]
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None
        if int(expires) < (now or time.time()):
            return None
        return BrowserSession(Principal(role, str(actor)), self._sign(f"csrf:{nonce}"))

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()


def principal_for_token(roles: TokenRoles, token: str) -> Principal | None:
    """The principal a bearer token names (the actor shows a digest, never the token)."""
    role = roles.role_of(token)
    if role is None:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()[:8]
    return Principal(role, f"{role.value}-token:{digest}")
