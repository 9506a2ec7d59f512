"""Conformance: MCP tools (MCP Python SDK 2.x, its own client and server spans) behind agents.

Two setups share one MCP server process (``service.name = mcp-tools``, stdio, its spans joined
to the agent's traces through ``params._meta``) and one plan (see ``scenarios/_mcp_common``):

* ``mcp_pydantic_ai`` — pydantic-ai agents under pydantic-ai's own instrumentation, calling the
  tools through the SDK's ``ClientSession``: ``execute_tool`` → ``MCP send tools/call`` →
  ``tools/call`` for every call.
* ``mcp_sdk`` — a scripted agent loop under gapwatch's own instrumentation (``agent()``,
  ``delegation()`` and its MCP integration): gapwatch ``execute_tool`` CLIENT → ``MCP send
  tools/call`` → ``tools/call``. No LLM spans, so no ``unused_tool``.

Each MCP tool call must count once, whatever the number of spans it leaves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.harness import Ledger, check_conformance, run_scenario
from tests.serving import GapwatchServer

SCENARIOS = Path(__file__).parent / "scenarios"


def _not_trivial(ledger: Ledger, gaps: int) -> None:
    assert len(ledger.gaps) >= gaps, ledger.gaps
    assert ledger.delegations == {("orchestrator", "researcher"), ("orchestrator", "coder")}
    assert ledger.spans > 1_000, ledger.spans


@pytest.mark.timeout(600)
def test_mcp_pydantic_ai(gapwatch_server: GapwatchServer) -> None:
    ledger = run_scenario(SCENARIOS / "mcp_pydantic_ai.py", gapwatch_server)
    _not_trivial(ledger, gaps=8)
    check_conformance(gapwatch_server, ledger)


@pytest.mark.timeout(600)
def test_mcp_sdk(gapwatch_server: GapwatchServer) -> None:
    ledger = run_scenario(SCENARIOS / "mcp_sdk.py", gapwatch_server)
    _not_trivial(ledger, gaps=7)
    check_conformance(gapwatch_server, ledger)
