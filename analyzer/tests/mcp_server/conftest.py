"""A real ``gapwatch serve`` over the demo fleet's data, and MCP clients of the SDK's own.

``gapwatch demo`` fills an embedded store with a simulated fleet and analyses it; ``gapwatch
serve`` then runs over that store (what the demo's closing lines tell a user to do) with one
admin and one reader token. Tests talk to it only over HTTP and through ``gapwatch mcp``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, Implementation

from tests.serving import GAPWATCH, GapwatchServer

ADMIN = "mcp-admin-token"
READER = "mcp-reader-token"
DEMO_SESSIONS = 200
DEMO_DATABASE = "gapwatch_demo"  # the database `gapwatch demo` owns
READ_TOOLS = ["list_proposals", "show_proposal", "agent_scorecard", "tool_scorecard",
              "delegation_matrix", "trace_summary"]
ADMIN_TOOLS = ["run_analysis", "approve_proposal", "reject_proposal", "snooze_proposal",
               "mark_implemented"]
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Served:
    api_url: str

    @property
    def mcp_url(self) -> str:
        return self.api_url + "/mcp"

    def api(self, token: str = READER) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, timeout=TIMEOUT_S,
                            headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="package")  # stopped once this folder's tests are done
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("mcp-demo")
    data = root / "data"
    demo = subprocess.run(
        [*GAPWATCH, "--log-level", "WARNING", "demo", "--sessions", str(DEMO_SESSIONS),
         "--data-dir", str(data), "--out-dir", str(root / "out")],
        capture_output=True, text=True, timeout=180, check=False, cwd=root,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    env = {"GAPWATCH_CLICKHOUSE_URL": f"chdb://{data / 'chdb'}?database={DEMO_DATABASE}",
           "GAPWATCH_ADMIN_TOKENS": ADMIN, "GAPWATCH_READER_TOKENS": READER}
    with GapwatchServer(data, env=env) as server:
        yield Served(server.api_url)


@asynccontextmanager
async def http_session(url: str, token: str | None, *, name: str = "gapwatch-tests",
                       mode: str = "legacy") -> AsyncIterator[Client]:
    """An SDK client on the streamable-HTTP endpoint, sending ``token`` as a bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=TIMEOUT_S) as http, Client(
        streamable_http_client(url, http_client=http), mode=mode,
        client_info=Implementation(name=name, version="1.0"), read_timeout_seconds=TIMEOUT_S,
    ) as client:
        yield client


@asynccontextmanager
async def stdio_session(api_url: str, token: str, *, name: str = "gapwatch-stdio-tests",
                        mode: str = "legacy") -> AsyncIterator[Client]:
    """``gapwatch mcp`` launched the way an MCP client launches it, configured by environment."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "gapwatch.analyzer.cli", "mcp"],
        env={"GAPWATCH_API_URL": api_url, "GAPWATCH_API_TOKEN": token},
        cwd=str(Path.cwd()),
    )
    async with Client(params, mode=mode, client_info=Implementation(name=name, version="1.0"),
                      read_timeout_seconds=TIMEOUT_S) as client:
        yield client


def structured(result: CallToolResult) -> dict[str, Any]:
    """A successful tool answer's structured content (and its text, which must say the same)."""
    assert not result.is_error, result.content
    data = result.structured_content
    assert isinstance(data, dict)
    return data
