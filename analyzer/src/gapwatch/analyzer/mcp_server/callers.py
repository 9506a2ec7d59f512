"""Who is calling, for each transport: the token forwarded to the API and whether it is an admin.

* :class:`ConfiguredToken` — over stdio there is one caller, the token in
  ``GAPWATCH_API_TOKEN``; its role is asked of the API (``GET /api/v1/whoami``) once.
* :class:`RequestToken` — over HTTP every request brings its own bearer token, checked by
  :class:`~gapwatch.analyzer.mcp_server.http.McpEndpoint` before the request reaches the server.
"""

from __future__ import annotations

from typing import Any

from mcp.server import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR
from starlette.requests import Request

from gapwatch.analyzer.mcp_server.api_client import ApiError, GapwatchApi
from gapwatch.analyzer.mcp_server.server import client_actor
from gapwatch.analyzer.mcp_server.tools import Caller

CREDENTIALS_KEY = "gapwatch_mcp_credentials"  # request-scope state set by the HTTP endpoint


class ConfiguredToken:
    def __init__(self, api: GapwatchApi, token: str):
        self._api = api
        self._token = token
        self._admin: bool | None = None

    async def caller(self, ctx: ServerRequestContext[Any, Any]) -> Caller:
        return Caller(self._token, await self._is_admin(), client_actor(ctx))

    async def _is_admin(self) -> bool:
        if self._admin is None:
            try:
                identity = await self._api.get("/api/v1/whoami", self._token)
            except ApiError:
                # unreachable or refused: offer the read tools, which then say why they fail;
                # ask again next time rather than remember a guess
                return False
            self._admin = identity.get("role") == "admin"
        return self._admin


class RequestToken:
    async def caller(self, ctx: ServerRequestContext[Any, Any]) -> Caller:
        request = ctx.request
        credentials = (request.scope.get("state", {}).get(CREDENTIALS_KEY)
                       if isinstance(request, Request) else None)
        if credentials is None:  # only reachable if the endpoint's check was bypassed
            raise MCPError(INTERNAL_ERROR, "request reached the MCP server unauthenticated")
        token, admin = credentials
        return Caller(token, admin, client_actor(ctx))
