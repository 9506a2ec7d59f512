"""MCP tools behind a minimal agent loop: gapwatch's own instrumentation on the agent side,
the MCP Python SDK's own client and server spans on the tool side.

    python mcp_sdk.py LEDGER_PATH [--sessions N] [--capture FILE]

No agent framework here (pydantic-ai's ``MCPToolset`` needs ``fastmcp``, not installed): a small
scripted loop plays the orchestrator and its two sub-agents. Agent runs and delegations are
gapwatch ``agent()`` / ``delegation()`` scopes; tool calls go through the SDK's
``ClientSession.call_tool``, which ``GapwatchInstrumentor`` wraps (its ``mcp`` framework
integration, content capture on). Every MCP tool call is three spans: gapwatch
``execute_tool <tool>`` CLIENT → SDK client ``MCP send tools/call <tool>`` → SDK server
``tools/call <tool>`` (other process, same trace). There is no model and so no LLM span: the
offered tools are invisible and ``unused_tool`` cannot be expressed. The plan and its gaps are
in ``_mcp_common``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import _mcp_common as common
from _scenario import Tracing, setup_tracing

SERVICE = "support-bot-mcp-sdk"
GAPS = [gap for gap in common.GAPS if gap["detector"] != "unused_tool"]


def instrument(capture: bool) -> Tracing:
    """Our provider first; gapwatch then uses it (and adds nothing to it), MCP gets wrapped."""
    os.environ.setdefault("GAPWATCH_CAPTURE_CONTENT", "true")
    tracing = setup_tracing(SERVICE, capture=capture)
    from gapwatch.instrumentation import ConversationIdProcessor, GapwatchInstrumentor, configure

    tracing.provider.add_span_processor(ConversationIdProcessor())
    configure()
    GapwatchInstrumentor().instrument(frameworks=["mcp"])
    return tracing


async def call(session: Any, planned: common.Call) -> Any:
    """One tool call; a failure is reported back to the (scripted) model, never raised."""
    from mcp import MCPError

    try:
        return await session.call_tool(planned.tool, planned.args,
                                       read_timeout_seconds=common.READ_TIMEOUT)
    except MCPError as error:
        return {"error": str(error)}


async def sub_agent(session: Any, run: common.SubRun, conversation_id: str) -> str:
    from gapwatch.instrumentation import agent

    async with agent(run.agent, conversation_id=conversation_id):
        for turn in run.turns:
            for planned in turn:
                await call(session, planned)
        if run.fails:
            raise ValueError("coder returned an invalid patch: 'files' is missing")
        return run.answer


async def orchestrate(session: Any, planned: common.Session) -> str:
    from gapwatch.instrumentation import agent, delegation

    request = json.dumps([{"role": "user", "parts": [{"type": "text",
                                                      "content": planned.request}]}])
    async with agent(common.ORCHESTRATOR, conversation_id=planned.id,
                     attributes={"gen_ai.input.messages": request}):
        await call(session, common.Call("lookup_account", {"customer_id": planned.customer_id}))
        answers = []
        for run in planned.subruns:
            async with delegation(run.agent, task=run.task):
                answers.append(await sub_agent(session, run, planned.id))
        if planned.unresolved:
            raise RuntimeError("no tool can cancel a subscription or refund invoices")
        return "; ".join(answers)


async def run_sessions(plan: list[common.Session], files: common.ServerFiles) -> dict[str, int]:
    from mcp import ClientSession, stdio_client

    outcomes = {"ok": 0, "failed": 0}
    async with stdio_client(common.server_parameters(files)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await session.list_tools()
            for planned in plan:
                try:
                    await orchestrate(session, planned)
                    outcomes["ok"] += 1
                except Exception:  # the app logs a failed request and serves the next one
                    outcomes["failed"] += 1
    return outcomes


if __name__ == "__main__":
    common.main(__doc__, instrument, run_sessions, GAPS)
