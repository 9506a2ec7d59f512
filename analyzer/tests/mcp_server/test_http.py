"""The MCP server mounted by ``gapwatch serve`` at ``/mcp``, driven by the SDK's own client
over streamable HTTP; every answer is checked against the API's."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from gapwatch.analyzer.mcp_server import MAX_ANSWER_CHARS, WEEKLY_REVIEW

from .conftest import ADMIN, ADMIN_TOOLS, READ_TOOLS, READER, Served, http_session, structured

FAILED = {"error", "soft_error", "blocked", "timeout"}


def _listed(client: Client) -> Any:
    async def names() -> list[str]:
        return [tool.name for tool in (await client.list_tools()).tools]
    return names()


def test_a_reader_token_sees_the_read_tools_and_an_admin_token_all(served: Served) -> None:
    async def scenario() -> None:
        async with http_session(served.mcp_url, READER) as reader:
            assert await _listed(reader) == READ_TOOLS
        async with http_session(served.mcp_url, ADMIN) as admin:
            tools = (await admin.list_tools()).tools
        assert [t.name for t in tools] == READ_TOOLS + ADMIN_TOOLS
        for tool in tools:
            assert tool.description and len(tool.description) > 60
            assert tool.input_schema["type"] == "object"
            assert tool.output_schema is not None and tool.output_schema["type"] == "object"
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint is (tool.name in READ_TOOLS)

    anyio.run(scenario)


def test_read_tools_answer_what_the_api_answers(served: Served) -> None:
    api = served.api()
    open_page = api.get("/api/v1/proposals", params={"status": "open", "limit": 4}).json()
    everything = api.get("/api/v1/proposals", params={"limit": 200}).json()["proposals"]
    first = api.get(f"/api/v1/proposals/{everything[0]['id']}").json()
    agents = api.get("/api/v1/agents", params={"window": "7d", "limit": 1000}).json()["agents"]
    tools = api.get("/api/v1/tools", params={"window": "7d", "limit": 1000}).json()["tools"]
    edges = api.get("/api/v1/delegations",
                    params={"window": "7d", "limit": 1000}).json()["delegations"]
    trace_id = first["evidence"]["traces"][0]
    trace = api.get(f"/api/v1/traces/{trace_id}").json()
    answers: list[dict[str, Any]] = []

    async def scenario() -> None:
        async with http_session(served.mcp_url, READER) as client:
            async def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
                result = await client.call_tool(name, arguments)
                data = structured(result)
                answers.append(data)
                assert len(result.content[0].text) <= MAX_ANSWER_CHARS  # type: ignore[union-attr]
                return data

            page = await call("list_proposals", {"status": ["open"], "limit": 4})
            assert [p["id"] for p in page["proposals"]] == [
                p["id"] for p in open_page["proposals"]]
            assert page["next_cursor"] == open_page["next_cursor"]
            assert page["proposals"][0]["evidence_count"] == (
                open_page["proposals"][0]["evidence"]["count"])

            walked, cursor = [], None  # paging through everything reads each proposal once
            while True:
                arguments: dict[str, Any] = {"limit": 3}
                if cursor:
                    arguments["cursor"] = cursor
                page = await call("list_proposals", arguments)
                walked += [p["id"] for p in page["proposals"]]
                cursor = page["next_cursor"]
                assert bool(cursor) == bool(page["note"])
                if not cursor:
                    break
            assert walked == [p["id"] for p in everything]

            shown = await call("show_proposal", {"proposal_id": first["id"]})
            assert shown["title"] == first["title"] and shown["status"] == first["status"]
            evidence = shown["evidence"]
            assert evidence["count"] == first["evidence"]["count"]
            assert evidence["sample_traces"] == first["evidence"]["traces"][:5]
            assert evidence["traces_total"] == len(first["evidence"]["traces"])
            assert evidence["sql"] and first["evidence"]["query"].startswith(
                evidence["sql"].removesuffix(" …[clipped]"))
            assert [h["to_status"] for h in shown["history"]] == [
                h["to_status"] for h in first["history"]][-10:]

            for other in everything[1:]:  # every proposal's detail fits the budget
                assert (await call("show_proposal", {"proposal_id": other["id"]}))["id"] == (
                    other["id"])

            scores = await call("agent_scorecard", {"limit": 50})
            assert scores["total"] == len(agents)
            assert [(a["agent"], a["runs"], a["failures"]) for a in scores["agents"]] == [
                (a["agent"], a["runs"], a["failures"]) for a in agents]
            one = await call("agent_scorecard", {"agent": agents[0]["agent"]})
            assert [a["agent"] for a in one["agents"]] == [agents[0]["agent"]]

            scores = await call("tool_scorecard", {"limit": 3})
            assert scores["total"] == len(tools) and scores["next_offset"] == 3
            rest = await call("tool_scorecard", {"limit": 50, "offset": 3})
            assert [(t["tool"], t["calls"], t["errors"]) for t in
                    scores["tools"] + rest["tools"]] == [(t["tool"], t["calls"], t["errors"])
                                                         for t in tools]
            assert rest["next_offset"] is None

            matrix = await call("delegation_matrix", {})
            assert [(d["caller"], d["target"], d["calls"], d["failures"])
                    for d in matrix["delegations"]] == [
                (d["caller"], d["target"], d["calls"], d["failures"]) for d in edges]

            summary = await call("trace_summary", {"trace_id": trace_id})
            assert summary["spans"] == len(trace["spans"])
            failed = [s for s in trace["spans"] if s["outcome"] in FAILED]
            assert summary["failures_total"] == len(failed)
            assert [f["outcome"] for f in summary["failures"]] == [
                s["outcome"] for s in sorted(failed, key=lambda s: s["start"])]
            assert {a["agent"] for a in summary["agents"]} == {
                s["agent"] for s in trace["spans"] if s["agent"]}

            review = await client.read_resource(WEEKLY_REVIEW)
            text = review.contents[0].text  # type: ignore[union-attr]
            report = api.get("/api/v1/report", params={"format": "md"}).text
            assert text.splitlines()[0] == report.splitlines()[0]

    anyio.run(scenario)
    assert len(answers) >= 10


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_lifecycle_actions_are_recorded_under_the_clients_name(served: Served, mode: str) -> None:
    api = served.api()
    detector = "unused_tool" if mode == "legacy" else "cost_waste"
    target = api.get("/api/v1/proposals", params={"detector": detector}).json()["proposals"][0]
    assert target["status"] == "open"

    async def scenario() -> None:
        async with http_session(served.mcp_url, ADMIN, name="Review Desk", mode=mode) as client:
            with pytest.raises(MCPError) as missing:  # a decision always needs a reason
                await client.call_tool("approve_proposal", {"proposal_id": target["id"]})
            assert missing.value.code == INVALID_PARAMS and "reason" in str(missing.value)
            decided = structured(await client.call_tool(
                "approve_proposal", {"proposal_id": target["id"], "reason": "cheap to fix"}))
            assert decided["status"] == "approved"
            assert decided["recorded"]["actor"].startswith("mcp:Review Desk (admin-token:")
            shipped = structured(await client.call_tool("mark_implemented", {
                "proposal_id": target["id"], "reason": "in release 2", "version": "v2"}))
            assert shipped["status"] == "implemented"
            again = await client.call_tool(  # the API's lifecycle rules still apply
                "approve_proposal", {"proposal_id": target["id"], "reason": "once more"})
            assert again.is_error and "409" in again.content[0].text  # type: ignore[union-attr]

    anyio.run(scenario)
    after = api.get(f"/api/v1/proposals/{target['id']}").json()
    assert after["status"] == "implemented" and after["implemented_version"] == "v2"
    decided = [(h["to_status"], h["reason"]) for h in after["history"][-2:]]
    assert decided == [("approved", "cheap to fix"), ("implemented", "in release 2")]
    assert all(h["actor"].startswith("mcp:Review Desk (admin-token:")
               for h in after["history"][-2:])


def test_a_reader_token_cannot_call_lifecycle_tools(served: Served) -> None:
    api = served.api()
    target = api.get("/api/v1/proposals", params={"status": "open"}).json()["proposals"][0]

    async def scenario() -> None:
        async with http_session(served.mcp_url, READER) as client:
            for name in ADMIN_TOOLS:
                arguments = ({"window": "1d"} if name == "run_analysis" else
                             {"proposal_id": target["id"], "reason": "a reader decides"})
                with pytest.raises(MCPError) as refused:
                    await client.call_tool(name, arguments)
                assert "admin token" in str(refused.value)

    anyio.run(scenario)
    after = api.get(f"/api/v1/proposals/{target['id']}").json()
    assert (after["status"], len(after["history"])) == ("open", len(
        api.get(f"/api/v1/proposals/{target['id']}").json()["history"]))
    assert after["updated_at"] == target["updated_at"]


BAD_ARGUMENTS = [
    ("no_such_tool", {}),
    ("list_proposals", {"limit": 500}),
    ("list_proposals", {"limit": "ten"}),
    ("list_proposals", {"status": ["bogus"]}),
    ("list_proposals", {"colour": "red"}),
    ("show_proposal", {}),
    ("show_proposal", {"proposal_id": "../../admin"}),
    ("trace_summary", {"trace_id": "not-a-trace"}),
    ("agent_scorecard", {"window": "forever"}),
    ("tool_scorecard", {"offset": -1}),
]


def test_bad_arguments_are_mcp_errors_and_the_session_goes_on(served: Served) -> None:
    async def scenario() -> None:
        async with http_session(served.mcp_url, READER) as client:
            for name, arguments in BAD_ARGUMENTS:
                with pytest.raises(MCPError) as error:
                    await client.call_tool(name, arguments)
                assert error.value.code == INVALID_PARAMS, (name, arguments)
            assert await _listed(client) == READ_TOOLS

    anyio.run(scenario)


def test_what_the_api_refuses_comes_back_as_a_tool_error(served: Served) -> None:
    async def scenario() -> None:
        async with http_session(served.mcp_url, READER) as client:
            missing = await client.call_tool("show_proposal", {"proposal_id": "0123456789abcdef"})
            assert missing.is_error
            assert "404" in missing.content[0].text  # type: ignore[union-attr]
            absent = await client.call_tool("trace_summary", {"trace_id": "0" * 32})
            assert absent.is_error and "404" in absent.content[0].text  # type: ignore[union-attr]

    anyio.run(scenario)


def test_the_endpoint_needs_a_known_token_and_binds_a_session_to_it(served: Served) -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    with httpx.Client(timeout=30) as http:
        for token in (None, "not-a-token"):
            auth = {"Authorization": f"Bearer {token}"} if token else {}
            refused = http.post(served.mcp_url, json=initialize, headers={**headers, **auth})
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
        opened = http.post(served.mcp_url, json=initialize,
                           headers={**headers, "Authorization": f"Bearer {ADMIN}"})
        assert opened.status_code == 200, opened.text
        session = opened.headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        borrowed = http.post(served.mcp_url, json=listing, headers={
            **headers, "Authorization": f"Bearer {READER}", "Mcp-Session-Id": session,
            "Mcp-Protocol-Version": "2025-06-18"})
        assert borrowed.status_code == 404  # a reader cannot ride an admin's session


def test_a_foreign_host_header_is_refused_on_loopback(served: Served) -> None:
    response = httpx.post(served.mcp_url, json={}, timeout=30, headers={
        "Authorization": f"Bearer {READER}", "Host": "attacker.example",
        "Accept": "application/json, text/event-stream"})
    assert response.status_code == 421


def test_the_review_prompt_names_real_tools_and_leaves_decisions_to_the_person(
    served: Served,
) -> None:
    async def scenario() -> None:
        async with http_session(served.mcp_url, READER) as client:
            prompts = (await client.list_prompts()).prompts
            assert [p.name for p in prompts] == ["review_gaps"]
            prompt = await client.get_prompt("review_gaps", {"agent": "coder"})
            text = prompt.messages[0].content.text  # type: ignore[union-attr]
            assert "`coder`" in text and '"coder"' in text
            for tool in ("list_proposals", "show_proposal", "trace_summary"):
                assert tool in text and tool in await _listed(client)
            assert "Do not approve" in text
            with pytest.raises(MCPError):
                await client.get_prompt("no_such_prompt")

    anyio.run(scenario)
