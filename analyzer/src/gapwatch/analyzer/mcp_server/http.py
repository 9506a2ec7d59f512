"""The MCP server over streamable HTTP, mounted by ``gapwatch serve`` beside the API.

    endpoint = mount_mcp(app, settings)        # POST/GET/DELETE {settings.mcp_path}
    async with endpoint.running(): ...         # in the app's lifespan, each time it runs

Same tokens as the API: with tokens configured a request needs ``Authorization: Bearer`` with a
reader or admin token (401 otherwise), and an MCP session stays bound to the token that opened
it. The server reaches the API in-process (an ASGI transport to the same app), so every tool
goes through the API's own routes, checks and audit trail.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gapwatch.analyzer.auth import Role, TokenRoles
from gapwatch.analyzer.mcp_server.api_client import GapwatchApi
from gapwatch.analyzer.mcp_server.callers import CREDENTIALS_KEY, RequestToken
from gapwatch.analyzer.mcp_server.server import build_server
from gapwatch.analyzer.routes.problems import MEDIA_TYPE, TYPE_BASE
from gapwatch.analyzer.settings import LOOPBACK_HOSTS, Settings

IN_PROCESS_URL = "http://gapwatch.in-process"


class McpEndpoint:
    """ASGI app: authenticates like the API, then hands the request to the SDK's session
    manager."""

    def __init__(self, app: FastAPI, settings: Settings):
        api = GapwatchApi(IN_PROCESS_URL, transport=httpx.ASGITransport(app=app))
        self.server = build_server(api, RequestToken(), version=app.version)
        self._security = _rebinding_protection(settings)
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The session manager's task group, for the app's lifetime. A manager runs once, and an
        app's lifespan may run again (tests start one app several times): a new one each time."""
        manager = StreamableHTTPSessionManager(app=self.server, json_response=True,
                                               security_settings=self._security)
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        roles: TokenRoles = scope["app"].state.token_roles
        token = _bearer(scope)
        if roles.open:
            role: Role | None = Role.ADMIN  # as the API: no tokens configured, everyone is admin
        else:
            role = roles.role_of(token) if token else None
            if role is None:
                await _problem(scope, receive, send, 401, "Unauthorized", "unknown token" if token
                               else "send Authorization: Bearer <token>")
                return
            # the SDK refuses a session to any credential but the one that opened it
            digest = hashlib.sha256(token.encode()).hexdigest()[:16]
            scope["user"] = AuthenticatedUser(AccessToken(
                token=token, client_id=f"{role.value}-token:{digest}", scopes=[role.value]))
        if self._manager is None:
            await _problem(scope, receive, send, 503, "Service unavailable",
                           "the MCP endpoint is not running (the app is starting or stopping)")
            return
        scope.setdefault("state", {})[CREDENTIALS_KEY] = (token, role is Role.ADMIN)
        await self._manager.asgi_app(scope, receive, send)


def mount_mcp(app: FastAPI, settings: Settings) -> McpEndpoint:
    endpoint = McpEndpoint(app, settings)
    # a plain route, not a mount: the endpoint answers at the path itself, without a redirect
    app.router.routes.append(Route(settings.mcp_path, endpoint=endpoint, include_in_schema=False))
    return endpoint


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            return credentials.strip() if scheme.lower() == "bearer" else ""
    return ""


async def _problem(scope: Scope, receive: Receive, send: Send, status: int, title: str,
                   detail: str) -> None:
    """An RFC 9457 problem answer, as the API gives."""
    slug = title.lower().replace(" ", "-")
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status,
                            "detail": detail, "instance": scope.get("path", "")}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    response = JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
    await response(scope, receive, send)


def _rebinding_protection(settings: Settings) -> TransportSecuritySettings | None:
    """On loopback, refuse Host and Origin headers of other sites: a web page must not reach a
    local gapwatch through DNS rebinding (an open API on loopback is the embedded default)."""
    if settings.host not in LOOPBACK_HOSTS:
        return None  # tokens are required off loopback (check_exposure)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )
