"""Conformance: LangGraph agents (create_react_agent, agents as tools) under their own
instrumentation — OpenLLMetry's LangchainInstrumentor and OpenInference's LangChainInstrumentor.

Each test runs ``scenarios/langgraph_<setup>.py`` (shared code in ``scenarios/langgraph_common.py``)
against its own ``gapwatch serve`` and holds the proposals to the scenario's ledger.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.harness import check_conformance, run_scenario
from tests.serving import GapwatchServer

SCENARIOS = Path(__file__).parent / "scenarios"

# what the scenario injects (see langgraph_common.py); all eight fit LangGraph
EXPECTED_DETECTORS = {
    "tool_failure_hotspot", "timeout_input_correlation", "soft_failure", "permission_blocked",
    "unused_tool", "retry_loop", "repeated_request", "delegation_failure",
}


def _conform(setup: str, server: GapwatchServer) -> None:
    ledger = run_scenario(SCENARIOS / f"langgraph_{setup}.py", server)
    assert ledger.spans > 1_000, ledger
    assert {gap[0] for gap in ledger.gaps} == EXPECTED_DETECTORS, ledger.gaps
    assert ledger.delegations == {("orchestrator", "researcher"), ("orchestrator", "coder")}
    check_conformance(server, ledger)


@pytest.mark.timeout(600)
def test_langgraph_openllmetry(gapwatch_server: GapwatchServer) -> None:
    """OpenLLMetry (opentelemetry-instrumentation-langchain), content tracing on."""
    _conform("openllmetry", gapwatch_server)


@pytest.mark.timeout(600)
def test_langgraph_openinference(gapwatch_server: GapwatchServer) -> None:
    """OpenInference (openinference-instrumentation-langchain)."""
    _conform("openinference", gapwatch_server)
