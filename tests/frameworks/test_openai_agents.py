"""Conformance: the OpenAI Agents SDK under OpenInference's and OpenLLMetry's instrumentors.

One scenario (``scenarios/openai_agents_common.py``): an orchestrator that hands off to
``coder`` and uses ``researcher`` as a tool, scripted models, eight injected gaps. Each
instrumentor runs it in its own process against its own ``gapwatch serve``; the proposals must
be exactly the injected gaps, with their agents, and both delegations must be in the matrix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.harness import Ledger, check_conformance, run_scenario
from tests.serving import GapwatchServer

SCENARIOS = Path(__file__).parent / "scenarios"


def _assert_scenario_ran(ledger: Ledger) -> None:
    """The scenario expresses eight gap kinds and both delegation shapes; a short ledger means
    the script changed, not that gapwatch did well."""
    assert ledger.spans > 1_000, ledger
    assert len(ledger.gaps) >= 8, sorted(ledger.gaps)
    assert {("orchestrator", "researcher"), ("orchestrator", "coder")} <= ledger.delegations


@pytest.mark.timeout(600)
def test_openai_agents_openinference(gapwatch_server: GapwatchServer) -> None:
    ledger = run_scenario(SCENARIOS / "openai_agents_openinference.py", gapwatch_server)
    _assert_scenario_ran(ledger)
    check_conformance(gapwatch_server, ledger)


@pytest.mark.timeout(600)
def test_openai_agents_openllmetry(gapwatch_server: GapwatchServer) -> None:
    ledger = run_scenario(SCENARIOS / "openai_agents_openllmetry.py", gapwatch_server,
                          env={"TRACELOOP_TRACE_CONTENT": "true"})
    _assert_scenario_ran(ledger)
    check_conformance(gapwatch_server, ledger)
