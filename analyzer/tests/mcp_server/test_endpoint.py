"""``GET /api/v1/whoami`` tells a client what its token may do; ``mcp_path`` places the MCP
endpoint or turns it off; the endpoint serves each time the app's lifespan runs."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from starlette.routing import Route

from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.settings import Settings

from .conftest import ADMIN, READER, Served


def test_whoami_names_the_role_and_actor_of_each_token(served: Served) -> None:
    assert served.api(READER).get("/api/v1/whoami").json()["role"] == "reader"
    admin = served.api(ADMIN).get("/api/v1/whoami").json()
    assert admin["role"] == "admin" and admin["actor"].startswith("admin-token:")
    assert ADMIN not in admin["actor"]  # a digest, never the token
    assert httpx.get(served.api_url + "/api/v1/whoami", timeout=30).status_code == 401
    assert served.api("wrong").get("/api/v1/whoami").status_code == 401


def _paths(settings: Settings) -> set[str]:
    app = create_app(settings)
    return {route.path for route in app.router.routes if isinstance(route, Route)}


def test_the_mcp_endpoint_follows_mcp_path_and_can_be_turned_off() -> None:
    assert "/mcp" in _paths(Settings())
    moved = _paths(Settings(mcp_path="/agents/mcp"))
    assert "/agents/mcp" in moved and "/mcp" not in moved
    assert not {"/mcp", "/agents/mcp"} & _paths(Settings(mcp_path=""))


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "restart-test", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Host": "127.0.0.1:8080"}


def test_the_endpoint_serves_again_when_the_app_starts_again(store_url: str) -> None:
    app = create_app(Settings(clickhouse_url=store_url, analysis_interval_minutes=0,
                              assembly_interval_seconds=0))
    idle = TestClient(app, base_url="http://127.0.0.1:8080")  # lifespan not run: not serving
    assert idle.post("/mcp", json=INITIALIZE, headers=HEADERS).status_code == 503
    for _ in range(2):
        with TestClient(app, base_url="http://127.0.0.1:8080") as client:
            answer = client.post("/mcp", json=INITIALIZE, headers=HEADERS)
            assert answer.status_code == 200, answer.text
            assert answer.json()["result"]["serverInfo"]["name"] == "gapwatch"
