"""Conformance: the OpenAI Agents JS SDK (``@openai/agents``) under OpenInference's instrumentation.

One Node.js scenario (``node/openai-agents/openai_agents_js_openinference.mjs``): an
orchestrator that hands off to ``coder`` and uses ``researcher`` as a tool, each agent on the
SDK's real Responses model over a scripted ``fetch``, eight injected gaps. It runs in its own
process against its own ``gapwatch serve``; the proposals must be exactly the injected gaps,
with their agents, and both delegations must be in the matrix.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.frameworks.harness import Ledger, check_conformance, run_scenario
from tests.serving import GapwatchServer

NODE = Path(__file__).parent / "node" / "openai-agents"

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None,
                       reason="node is not installed: the Node.js conformance tests need Node 20+"),
    pytest.mark.skipif(not (NODE / "node_modules").is_dir(),
                       reason=f"npm packages missing: run `npm ci` in {NODE} "
                              "(or `make node-deps`)"),
]


def _assert_scenario_ran(ledger: Ledger) -> None:
    """The scenario expresses eight gap kinds and both delegation shapes; a short ledger means
    the script changed, not that gapwatch did well."""
    assert ledger.spans > 1_000, ledger
    assert len(ledger.gaps) >= 6, sorted(ledger.gaps)
    assert {("orchestrator", "researcher"), ("orchestrator", "coder")} <= ledger.delegations


@pytest.mark.timeout(600)
def test_openai_agents_js_openinference(gapwatch_server: GapwatchServer) -> None:
    ledger = run_scenario(NODE / "openai_agents_js_openinference.mjs", gapwatch_server)
    _assert_scenario_ran(ledger)
    check_conformance(gapwatch_server, ledger)
