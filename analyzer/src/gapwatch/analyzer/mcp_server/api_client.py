"""The MCP server's only way into gapwatch: its HTTP API, with the caller's bearer token.

    api = GapwatchApi("http://127.0.0.1:8080")
    page = await api.get("/api/v1/proposals", token, params={"status": "open"})

Going through the API (rather than the store) keeps one set of rules for who may do what, lets
the server run beside ``gapwatch serve`` on an embedded store, and lets it point at a server
deployment. Mounted inside ``serve`` it uses an in-process ASGI transport to the same app.
"""

from __future__ import annotations

from typing import Any

import httpx

# an analysis over a large window can take a while; reads answer in well under a second
TIMEOUT = httpx.Timeout(300.0, connect=5.0)


class ApiError(Exception):
    """The API answered with an error (``status`` > 0) or could not be reached (``status`` 0)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class GapwatchApi:
    """Thin JSON client; a problem answer becomes an :class:`ApiError` with its title and detail."""

    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, transport=transport,
                                         timeout=TIMEOUT)

    async def get(self, path: str, token: str, params: dict[str, Any] | None = None) -> Any:
        response = await self._send("GET", path, token, params=params)
        return response.json()

    async def get_text(self, path: str, token: str, params: dict[str, Any] | None = None) -> str:
        response = await self._send("GET", path, token, params=params)
        return response.text

    async def post(self, path: str, token: str, body: dict[str, Any]) -> Any:
        response = await self._send("POST", path, token, json=body)
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise ApiError(0, f"gapwatch API at {self.base_url} not reachable: {error}") from error
        if response.is_error:
            raise ApiError(response.status_code, _problem_text(response))
        return response


def _problem_text(response: httpx.Response) -> str:
    """'404 Proposal not found: no proposal 'x'' from RFC 9457 problem JSON, or the raw text."""
    try:
        problem = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:300]}"
    if not isinstance(problem, dict):
        return f"{response.status_code} {str(problem)[:300]}"
    detail = problem.get("detail")
    if isinstance(detail, list):  # FastAPI's own validation errors
        detail = "; ".join(str(item.get("msg", item)) for item in detail
                           if isinstance(item, dict))
    title = f"{response.status_code} {problem.get('title') or response.reason_phrase}"
    return f"{title}: {detail}" if detail else title
