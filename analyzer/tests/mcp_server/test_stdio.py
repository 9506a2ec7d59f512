"""``gapwatch mcp`` over stdio, launched as an MCP client launches it, against a real serve."""

from __future__ import annotations

import socket

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from .conftest import ADMIN, ADMIN_TOOLS, READ_TOOLS, READER, Served, stdio_session, structured


def test_an_admin_token_lists_every_tool_and_decides_under_the_clients_name(
    served: Served,
) -> None:
    api = served.api()
    listed = api.get("/api/v1/proposals", params={"priority": "high", "limit": 5}).json()
    target = next(p for p in api.get("/api/v1/proposals", params={"status": "open"}).json()[
        "proposals"] if p["detector"] not in ("unused_tool", "cost_waste"))

    async def scenario() -> None:
        async with stdio_session(served.api_url, ADMIN, name="Desk CLI") as client:
            assert [t.name for t in (await client.list_tools()).tools] == READ_TOOLS + ADMIN_TOOLS
            page = structured(await client.call_tool(
                "list_proposals", {"priority": ["high"], "limit": 5}))
            assert [p["id"] for p in page["proposals"]] == [p["id"] for p in listed["proposals"]]
            rejected = structured(await client.call_tool(
                "reject_proposal", {"proposal_id": target["id"], "reason": "works as intended"}))
            assert rejected["status"] == "rejected"
            dry = structured(await client.call_tool("run_analysis",
                                                    {"window": "7d", "dry_run": True}))
            assert dry["dry_run"] is True and dry["findings"] >= 1

    anyio.run(scenario)
    last = api.get(f"/api/v1/proposals/{target['id']}").json()["history"][-1]
    assert (last["to_status"], last["reason"]) == ("rejected", "works as intended")
    assert last["actor"].startswith("mcp:Desk CLI (admin-token:")


def test_a_reader_token_gets_the_read_tools_only(served: Served) -> None:
    async def scenario() -> None:
        async with stdio_session(served.api_url, READER, mode="auto") as client:
            assert [t.name for t in (await client.list_tools()).tools] == READ_TOOLS
            scores = structured(await client.call_tool("tool_scorecard", {"limit": 2}))
            assert len(scores["tools"]) == 2
            with pytest.raises(MCPError, match="admin token"):
                await client.call_tool("run_analysis", {})

    anyio.run(scenario)


def test_without_a_reachable_api_the_tools_say_so(served: Served) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> None:
        async with stdio_session(f"http://127.0.0.1:{port}", ADMIN) as client:
            # the role is unknown, so only what anyone may do is offered
            assert [t.name for t in (await client.list_tools()).tools] == READ_TOOLS
            result = await client.call_tool("list_proposals", {})
            assert result.is_error
            assert "not reachable" in result.content[0].text  # type: ignore[union-attr]

    anyio.run(scenario)
