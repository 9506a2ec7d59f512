"""Each detector on its positive case (the pattern is found, with evidence) and on noise (nothing).

Spans are recorded by the OpenTelemetry SDK, encoded as OTLP and stored by the collector into
chDB. Every positive case has its own store; all noise cases share one store — a mixed, healthy
fleet — on which every detector must stay silent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from analyzer.tests.detectors.scenarios import SCENARIOS, WINDOW_END, WINDOW_START
from analyzer.tests.spans import SpanRecorder, drop_database, open_analyzer_store
from gapwatch.analyzer.detectors import DETECTOR_IDS, DetectionContext, Finding, run_detectors


def context_for(client: Client) -> DetectionContext:
    return DetectionContext(
        client=client,
        database=client.database,
        since=datetime.fromtimestamp(WINDOW_START, UTC),
        until=datetime.fromtimestamp(WINDOW_END, UTC),
        window="48h",
    )


@pytest.fixture(scope="module")
def noise_store(chdb_dir: Path) -> Iterator[Client]:
    client = open_analyzer_store(chdb_dir, "test_detectors_noise")
    recorder = SpanRecorder(seed=100)
    for index, (detector_id, (_, noise)) in enumerate(sorted(SCENARIOS.items())):
        noise(recorder, f"noise-{index}-{detector_id}")
    recorder.store(client)
    yield client
    drop_database(client)


@pytest.fixture(scope="module")
def positive_stores(chdb_dir: Path) -> Iterator[dict[str, Client]]:
    stores: dict[str, Client] = {}
    for index, (detector_id, (positive, _)) in enumerate(sorted(SCENARIOS.items())):
        client = open_analyzer_store(chdb_dir, f"test_detectors_{detector_id}")
        recorder = SpanRecorder(seed=index)
        positive(recorder, "agents")
        recorder.store(client)
        stores[detector_id] = client
    yield stores
    for client in stores.values():
        drop_database(client)


def found(stores: dict[str, Client], detector_id: str) -> list[Finding]:
    return run_detectors(context_for(stores[detector_id]), only=[detector_id])


def test_every_detector_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == sorted(DETECTOR_IDS)


@pytest.mark.parametrize("detector_id", sorted(SCENARIOS))
def test_noise_yields_nothing(noise_store: Client, detector_id: str) -> None:
    assert run_detectors(context_for(noise_store), only=[detector_id]) == []


@pytest.mark.parametrize("detector_id", sorted(SCENARIOS))
def test_positive_finding_carries_complete_evidence(
    positive_stores: dict[str, Client], detector_id: str
) -> None:
    findings = found(positive_stores, detector_id)
    assert findings, detector_id
    for finding in findings:
        assert finding.detector == detector_id
        assert finding.priority in ("high", "medium", "low")
        assert 0 < finding.confidence <= 1
        assert finding.proposal_type in {
            "tool_improvement",
            "new_tool",
            "permission_change",
            "timeout_or_caching",
            "delegation_routing",
            "new_agent",
            "prompt_update",
            "config_change",
            "cost_reduction",
            "investigate",
        }
        for text in (
            finding.title,
            finding.summary,
            finding.proposed_change,
            finding.expected_impact,
            finding.risk,
        ):
            assert text and "{" not in text.replace("{<", ""), text
        evidence = finding.evidence
        assert evidence.count > 0 and evidence.sessions > 0
        assert evidence.traces and all(len(t) == 32 for t in evidence.traces)
        assert evidence.first_seen <= evidence.last_seen
        assert evidence.first_seen.tzinfo is not None
        assert "{since:DateTime64(9)}" in evidence.query
        assert evidence.parameters["database"] == positive_stores[detector_id].database
        assert evidence.window == "48h"


@pytest.mark.parametrize("detector_id", sorted(SCENARIOS))
def test_recorded_query_reproduces_the_evidence(
    positive_stores: dict[str, Client], detector_id: str
) -> None:
    """The query and parameters a finding records return the rows its evidence came from."""
    client = positive_stores[detector_id]
    for finding in found(positive_stores, detector_id):
        evidence = finding.evidence
        result = client.query(evidence.query, parameters=evidence.parameters)
        rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
        assert rows, detector_id
        traces = {str(t) for row in rows for t in row.get("traces", [])}
        assert set(evidence.traces) <= traces, detector_id


def _one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.title for f in findings]
    return findings[0]


def test_tool_failure_hotspot(positive_stores: dict[str, Client]) -> None:
    finding = _one(found(positive_stores, "tool_failure_hotspot"))
    assert finding.subject.tool == "write_article" and finding.subject.agent == "blogger"
    assert (finding.evidence.count, finding.evidence.metrics["calls"]) == (12, 40)
    assert finding.evidence.sessions == 8
    assert finding.evidence.metrics["error_fingerprint"] == (
        "PromptLayer pipeline <n> timed out after <n>s"
    )
    assert finding.evidence.metrics["failure_kind"] == "transient"
    assert "retry" in finding.proposed_change


def test_permission_blocked_names_pattern_and_capability(
    positive_stores: dict[str, Client],
) -> None:
    finding = _one(found(positive_stores, "permission_blocked"))
    assert (finding.subject.agent, finding.subject.tool) == ("prometheus", "write")
    assert finding.evidence.metrics["resource_pattern"] == "src/**"
    assert finding.evidence.metrics["desired_capability"] == "Write permission for src/"
    assert (finding.evidence.count, finding.evidence.sessions) == (15, 6)
    assert finding.proposal_type == "permission_change"
    assert "Write permission for src/" in finding.proposed_change


def test_timeout_input_correlation_states_the_threshold(
    positive_stores: dict[str, Client],
) -> None:
    finding = _one(found(positive_stores, "timeout_input_correlation"))
    assert finding.subject.tool == "lsp_find_references"
    assert "times out on inputs above ~5,000 lines: 14/15 above, 0/420 below" in finding.summary
    assert finding.evidence.metrics["threshold"] == 5000
    assert finding.proposal_type == "timeout_or_caching"


def test_timeout_input_correlation_reports_at_most_max_findings(
    positive_stores: dict[str, Client],
) -> None:
    """The cap applies before the evidence query: nothing is reported past max_findings."""
    base = context_for(positive_stores["timeout_input_correlation"])
    for cap, expected in ((0, 0), (1, 1)):
        context = dataclasses.replace(
            base, thresholds={"timeout_input_correlation": {"max_findings": cap}}
        )
        assert len(run_detectors(context, only=["timeout_input_correlation"])) == expected


def test_delegation_failure_proposes_the_better_target(
    positive_stores: dict[str, Client],
) -> None:
    finding = _one(found(positive_stores, "delegation_failure"))
    assert (finding.subject.agent, finding.subject.target_agent) == ("sisyphus", "explore")
    assert dict(finding.subject.extra)["category"] == "deep-research"
    assert finding.proposal_type == "delegation_routing"
    assert finding.evidence.metrics["alternative_target"] == "oracle"
    assert (finding.evidence.count, finding.evidence.metrics["calls"]) == (10, 20)


def test_retry_loop_counts_wasted_calls_and_tokens(positive_stores: dict[str, Client]) -> None:
    finding = _one(found(positive_stores, "retry_loop"))
    assert (finding.subject.agent, finding.subject.tool) == ("writer", "search")
    metrics = finding.evidence.metrics
    assert (metrics["loops"], metrics["wasted_calls"], metrics["max_repeats"]) == (3, 9, 4)
    # the model calls between the first and the last identical call: 3 per loop × 1,000 tokens
    assert metrics["wasted_tokens"] == 9_000
    assert metrics["wasted_seconds"] == 18.0
    assert finding.proposal_type == "tool_improvement"


def test_unused_tool(positive_stores: dict[str, Client]) -> None:
    finding = _one(found(positive_stores, "unused_tool"))
    assert (finding.subject.tool, finding.subject.agent) == ("inject_links", "writer")
    assert (finding.evidence.count, finding.evidence.metrics["calls"]) == (30, 0)


def test_repeated_request_clusters_wordings_across_sessions(
    positive_stores: dict[str, Client],
) -> None:
    finding = _one(found(positive_stores, "repeated_request"))
    metrics = finding.evidence.metrics
    assert (metrics["sessions"], metrics["unresolved_sessions"]) == (5, 4)
    assert len(metrics["variants"]) == 4  # two askings normalize to the same text
    assert finding.proposal_type == "new_tool"
    assert "export" in finding.title.lower()


def test_cost_waste(positive_stores: dict[str, Client]) -> None:
    finding = _one(found(positive_stores, "cost_waste"))
    assert finding.subject.agent == "researcher"
    metrics = finding.evidence.metrics
    assert (metrics["failed_runs"], metrics["failed_tokens"]) == (6, 180_000)
    assert metrics["total_tokens"] == 250_000
    assert "gave up after <n> turns" in finding.proposed_change


def test_version_regression(positive_stores: dict[str, Client]) -> None:
    finding = _one(found(positive_stores, "version_regression"))
    assert (finding.subject.agent, finding.subject.version) == ("planner", "p2")
    assert finding.evidence.metrics["before_version"] == "p1"
    assert finding.evidence.metrics["changes"]["error_rate"]["p_value"] < 1e-3
    assert finding.proposal_type == "prompt_update"
    assert "3.0% (3/100) → 25% (25/100)" in finding.summary


def test_error_spike(positive_stores: dict[str, Client]) -> None:
    finding = _one(found(positive_stores, "error_spike"))
    assert finding.subject.tool == "fetch"
    metrics = finding.evidence.metrics
    assert (metrics["recent_failures"], metrics["recent_calls"]) == (12, 30)
    assert metrics["top_error_is_new"] is True
    assert finding.proposal_type == "investigate"


def test_soft_failure(positive_stores: dict[str, Client]) -> None:
    finding = _one(found(positive_stores, "soft_failure"))
    assert finding.subject.tool == "fetch_page"
    assert (finding.evidence.count, finding.evidence.metrics["calls"]) == (8, 30)
    assert finding.evidence.metrics["error_fingerprint"] == "page <str> not found"


def test_negative_feedback(positive_stores: dict[str, Client]) -> None:
    finding = _one(found(positive_stores, "negative_feedback"))
    assert finding.subject.agent == "writer"
    metrics = finding.evidence.metrics
    assert (metrics["rated"], metrics["negative_ratings"], metrics["corrections"]) == (20, 9, 3)
    assert finding.proposal_type == "prompt_update"


def test_findings_are_deterministic(positive_stores: dict[str, Client]) -> None:
    for detector_id in ("repeated_request", "timeout_input_correlation", "retry_loop"):
        assert found(positive_stores, detector_id) == found(positive_stores, detector_id)
