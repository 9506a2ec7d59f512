"""Conformance: pydantic-ai under its own OpenTelemetry instrumentation (``instrument_all``).

One setup (``scenarios/pydantic_ai_genai.py``): an orchestrator whose tools ``ask_researcher``
and ``ask_coder`` run the sub-agents (their ``invoke_agent`` spans nest in its ``execute_tool``
spans), scripted ``FunctionModel``s, eight injected gaps. The proposals must be exactly the
injected gaps, with their agents, and both delegations must be in the delegation matrix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.harness import Ledger, check_conformance, run_scenario
from tests.serving import GapwatchServer

SCENARIOS = Path(__file__).parent / "scenarios"
GAP_KINDS = {"tool_failure_hotspot", "timeout_input_correlation", "soft_failure", "unused_tool",
             "retry_loop", "repeated_request", "delegation_failure", "permission_blocked"}


def _assert_scenario_ran(ledger: Ledger) -> None:
    """A short ledger means the script changed, not that gapwatch did well."""
    assert ledger.spans > 1_000, ledger
    assert {gap[0] for gap in ledger.gaps} == GAP_KINDS, sorted(ledger.gaps)
    assert ledger.delegations == {("orchestrator", "researcher"), ("orchestrator", "coder")}


@pytest.mark.timeout(600)
def test_pydantic_ai_genai(gapwatch_server: GapwatchServer) -> None:
    ledger = run_scenario(SCENARIOS / "pydantic_ai_genai.py", gapwatch_server)
    _assert_scenario_ran(ledger)
    check_conformance(gapwatch_server, ledger)
