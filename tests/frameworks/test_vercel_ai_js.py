"""Conformance: the Vercel AI SDK (``ai`` 6.x, Node.js) under its own telemetry and under the
OpenInference Vercel span processor.

One scenario (``node/vercel/common.mjs``): an orchestrator whose tools ``ask_researcher`` and
``ask_coder`` run the sub-agents' own ``generateText`` (a sub-agent run is a child of the tool
call), the SDK's ``MockLanguageModelV3`` scripted per agent, eight injected gaps. Each setup
runs it in its own Node.js process against its own ``gapwatch serve``; the proposals must be
exactly the injected gaps, with their agents, and both delegations must be in the matrix.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.frameworks.harness import Ledger, check_conformance, run_scenario
from tests.serving import GapwatchServer

NODE = Path(__file__).parent / "node" / "vercel"

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
    pytest.mark.skipif(
        not (NODE / "node_modules" / "ai").is_dir(),
        reason=f"the Vercel AI SDK scenario's packages are not installed: run "
               f"`npm ci --prefix {NODE}`"),
]


def _assert_scenario_ran(ledger: Ledger) -> None:
    """The scenario expresses eight gap kinds and two delegations; a short ledger means the
    script changed, not that gapwatch did well."""
    assert ledger.spans > 1_000, ledger
    assert len(ledger.gaps) >= 6, sorted(ledger.gaps)
    assert {("orchestrator", "researcher"), ("orchestrator", "coder")} <= ledger.delegations


@pytest.mark.timeout(600)
def test_vercel_native(gapwatch_server: GapwatchServer) -> None:
    ledger = run_scenario(NODE / "vercel_native.mjs", gapwatch_server)
    _assert_scenario_ran(ledger)
    check_conformance(gapwatch_server, ledger)


@pytest.mark.timeout(600)
def test_vercel_openinference(gapwatch_server: GapwatchServer) -> None:
    ledger = run_scenario(NODE / "vercel_openinference.mjs", gapwatch_server)
    _assert_scenario_ran(ledger)
    check_conformance(gapwatch_server, ledger)
