"""Precision rules every detector follows, each on its own small fleet in one store.

* the subject is who can be fixed: tokens a sub-agent burned are the sub-agent's;
* repetition is a gap only when it shows the agent did not deliver (asked again in the session);
* one refusal rule over many directories is one finding, named by their common pattern;
* loops are judged against the traffic of their tool: 10 loops in 300 traces is a pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from analyzer.tests.detectors.scenarios import _t
from analyzer.tests.detectors.test_detectors import context_for
from analyzer.tests.spans import SpanRecorder, drop_database, open_analyzer_store
from gapwatch.analyzer.detectors import Finding, run_detectors


def sub_agent_burns_tokens(rec: SpanRecorder, service: str) -> None:
    for i in range(20):
        session = f"cw-{i % 10}"
        root = rec.agent_run("planner", start=_t(i), duration=120, session=session,
                             service=service)
        rec.llm_call(root, start=_t(i) + 1, duration=1, agent="planner", session=session,
                     service=service, input_tokens=1_000, output_tokens=100)
        failed = i % 10 >= 7
        run = rec.agent_run("researcher", start=_t(i) + 2, duration=90, parent=root,
                            session=session, service=service,
                            error="gave up after 12 turns" if failed else None)
        for k in range(6 if failed else 1):
            # no agent name on the model span: its run (the ancestor) owns it
            rec.llm_call(run, start=_t(i) + 3 + k, duration=1, session=session,
                         service=service, input_tokens=4_500, output_tokens=500)


def asked_again_in_session(rec: SpanRecorder, service: str) -> None:
    asks = ["Book the quarterly offsite venue in Porto", "can you book the quarterly offsite "
            "venue in porto?", "Please book the quarterly offsite venue in Porto"]
    for i in range(6):
        session = f"ra-{i}"
        start = _t(i, 3600)
        rec.agent_run("assistant", start=start, duration=20, session=session, user=f"u{i}",
                      task=asks[i % 3], service=service)
        if i < 4:  # the answer did not do it: the user rephrases in the same session
            rec.agent_run("assistant", start=start + 60, duration=20, session=session,
                          user=f"u{i}", task=asks[(i + 1) % 3], service=service)


def one_rule_many_directories(rec: SpanRecorder, service: str) -> None:
    for i in range(12):
        session = f"pr-{i % 4}"
        run = rec.agent_run("coder", start=_t(i), duration=30, session=session, service=service)
        directory = ("api", "billing", "auth")[i % 3]
        rec.tool_call(run, "write_file", start=_t(i) + 1, duration=0.1, agent="coder",
                      session=session, service=service,
                      arguments={"path": f"src/{directory}/m{i}.py"}, outcome="blocked",
                      error=f"write to src/{directory}/m{i}.py blocked by policy docs-only")


def ten_loops_in_300_traces(rec: SpanRecorder, service: str) -> None:
    for i in range(300):
        session = f"rl-{i % 30}"
        run = rec.agent_run("scraper", start=_t(i, 30), duration=20, session=session,
                            service=service)
        for k in range(3 if i % 30 == 0 else 1):
            rec.tool_call(run, "fetch", start=_t(i, 30) + 1 + k, duration=1, agent="scraper",
                          session=session, service=service,
                          arguments={"url": f"https://example.org/{i}"})


CASES = {
    "sub_agent": sub_agent_burns_tokens,
    "asked_again": asked_again_in_session,
    "one_rule": one_rule_many_directories,
    "ten_loops": ten_loops_in_300_traces,
}


@pytest.fixture(scope="module")
def store(chdb_dir: Path) -> Iterator[Client]:
    client = open_analyzer_store(chdb_dir, "test_detector_precision")
    recorder = SpanRecorder(seed=77)
    for service, build in CASES.items():
        build(recorder, service)
    recorder.store(client)
    yield client
    drop_database(client)


def found(client: Client, detector: str, service: str) -> list[Finding]:
    return [f for f in run_detectors(context_for(client), only=[detector])
            if f.subject.service == service]


def test_cost_waste_names_the_sub_agent_that_spent_the_tokens(store: Client) -> None:
    (finding,) = found(store, "cost_waste", "sub_agent")
    assert finding.subject.agent == "researcher"
    assert finding.evidence.metrics["failed_tokens"] == 6 * 6 * 5_000


def test_repeated_request_when_asked_again_in_the_session(store: Client) -> None:
    (finding,) = found(store, "repeated_request", "asked_again")
    metrics = finding.evidence.metrics
    assert (metrics["sessions"], metrics["unresolved_sessions"]) == (6, 4)
    assert metrics["reasked_sessions"] == 4 and metrics["failed_sessions"] == 0
    assert "Up to 4 undelivered sessions" in finding.expected_impact


def test_permission_blocked_is_one_finding_per_refusal_rule(store: Client) -> None:
    (finding,) = found(store, "permission_blocked", "one_rule")
    assert finding.evidence.count == 12
    assert finding.evidence.metrics["resource_pattern"] == "src/**"


def test_retry_loop_speaks_when_loops_are_a_share_of_the_traffic(store: Client) -> None:
    (finding,) = found(store, "retry_loop", "ten_loops")
    assert finding.evidence.metrics["loops"] == 10
    assert finding.evidence.metrics["tool_traces"] == 300
