"""End to end: OTel SDK → OTLP/HTTP → `gapwatch serve` → detectors → proposals via the API →
approve → implemented → later spans → verified; and the README's flow with the example agents.

`gapwatch serve` runs in a subprocess with its own chDB directory (one directory per process);
this process only speaks OTLP and HTTP to it, over loopback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from tests.serving import GAPWATCH, GapwatchServer

EXAMPLES = Path(__file__).parents[1] / "examples"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A real `gapwatch serve` on free loopback ports; yields what it advertised.

    Assembly runs every second with a one-second settle time, so the scorecards this test polls
    show the spans soon after they are stored.
    """
    env = {"GAPWATCH_ASSEMBLY_INTERVAL_SECONDS": "1", "GAPWATCH_ASSEMBLY_SETTLE_SECONDS": "1"}
    with GapwatchServer(tmp_path / "data", env=env) as running:
        yield running.advertised


def _send_tool_calls(port: int, start: datetime, count: int, failures: int) -> None:
    """``count`` agent runs each calling the `search` tool once, the first ``failures`` timing
    out, spread one minute apart from ``start``."""
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-assistant"}))
    provider.add_span_processor(BatchSpanProcessor(
        OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces")))
    tracer = provider.get_tracer("e2e")
    for i in range(count):
        begin = _ns(start + timedelta(minutes=i * 1))
        agent = tracer.start_span("invoke_agent planner", kind=SpanKind.INTERNAL,
                                  start_time=begin, attributes={
                                      "gen_ai.operation.name": "invoke_agent",
                                      "gen_ai.agent.name": "planner",
                                      "gen_ai.conversation.id": f"session-{i % 8}"})
        tool = tracer.start_span("execute_tool search", context=set_span_in_context(agent),
                                 kind=SpanKind.INTERNAL, start_time=begin + 1_000_000,
                                 attributes={"gen_ai.operation.name": "execute_tool",
                                             "gen_ai.tool.name": "search",
                                             "gen_ai.agent.name": "planner",
                                             "gen_ai.conversation.id": f"session-{i % 8}"})
        if i < failures:
            tool.set_attribute("error.type", "TimeoutError")
            tool.set_status(Status(StatusCode.ERROR, "search timed out after 30 s"))
        tool.end(end_time=begin + 900_000_000)
        agent.end(end_time=begin + 950_000_000)
    assert provider.force_flush(30_000)
    provider.shutdown()


def _wait_for_calls(api: httpx.Client, calls: int) -> None:
    """Spans are acknowledged once in the collector's WAL and stored shortly after."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tools = api.get("/api/v1/tools", params={"window": "1d"}).json()["tools"]
        if sum(t["calls"] for t in tools if t["tool"] == "search") >= calls:
            return
        time.sleep(0.1)
    pytest.fail(f"fewer than {calls} search calls stored: {tools}")


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000_000)


def test_a_gap_is_found_fixed_and_verified_through_the_whole_product(
    server: dict[str, Any],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    shipped = now - timedelta(hours=1)
    api = httpx.Client(base_url=server["api_url"], timeout=120)

    _send_tool_calls(server["otlp_http_port"], shipped - timedelta(minutes=50), 40, failures=20)
    _wait_for_calls(api, 40)
    run = api.post("/api/v1/analyses", json={"window": "1d"}).json()
    assert run["findings"] >= 1 and run["proposals"]["new"] >= 1

    page = api.get("/api/v1/proposals",
                   params={"detector": "tool_failure_hotspot", "tool": "search"}).json()
    assert len(page["proposals"]) == 1
    proposal = page["proposals"][0]
    assert proposal["status"] == "open" and proposal["evidence"]["count"] == 20
    assert proposal["subject"]["agent"] == "planner"
    assert len(proposal["evidence"]["traces"]) >= 1

    pid = proposal["id"]
    assert api.post(f"/api/v1/proposals/{pid}/approve",
                    json={"reason": "add a timeout budget"}).status_code == 200
    done = api.post(f"/api/v1/proposals/{pid}/implemented",
                    json={"version": "v2", "at": shipped.isoformat(), "reason": "deployed"})
    assert done.status_code == 200, done.text

    _send_tool_calls(server["otlp_http_port"], shipped + timedelta(minutes=5), 40, failures=1)
    _wait_for_calls(api, 80)
    again = api.post("/api/v1/analyses", json={"window": "1d"}).json()
    assert again["proposals"]["new"] == 0
    assert again["verification"] == {"verified": 1, "regressed": 0}

    final = api.get(f"/api/v1/proposals/{pid}").json()
    assert final["status"] == "verified"
    assert final["verification"]["before"] == {"total": 40, "bad": 20, "rate": 0.5}
    assert final["verification"]["after"] == {"total": 40, "bad": 1, "rate": 0.025}
    assert final["verification"]["p_value"] < 0.001
    assert [h["to_status"] for h in final["history"]] == [
        "open", "approved", "implemented", "verified"]
    listed = api.get("/api/v1/proposals").json()["proposals"]
    assert len([p for p in listed if p["id"] == pid]) == 1


def test_the_readme_flow_with_the_example_agents_ends_with_proposals(tmp_path: Path) -> None:
    """README "Send spans from your agents": serve, the example fleet, analyze, proposals."""
    with GapwatchServer(tmp_path / "data") as server:
        env = {**os.environ, "GAPWATCH_ENDPOINT": server.otlp_http_endpoint,
               "GAPWATCH_API_URL": server.api_url}
        example = subprocess.run([sys.executable, str(EXAMPLES / "multi_agent.py")], env=env,
                                 capture_output=True, text=True, timeout=120, check=False)
        assert example.returncode == 0, example.stderr
        assert example.stdout.startswith("sent ") and "from 40 conversations" in example.stdout
        # acknowledged spans reach the store a moment later; a person typing the next
        # command gives it that moment
        server.wait_for_spans(int(example.stdout.split()[1]))

        analyzed = subprocess.run([*GAPWATCH, "analyze"], env=env, capture_output=True,
                                  text=True, timeout=300, check=False)
        assert analyzed.returncode == 0, analyzed.stderr
        assert "3 new" in analyzed.stdout and "note:" not in analyzed.stdout, analyzed.stdout
        listed = subprocess.run([*GAPWATCH, "proposals", "list", "--json"], env=env,
                                capture_output=True, text=True, timeout=120, check=True)
    found = {(p["detector"], p["subject"]["agent"], p["subject"]["tool"])
             for p in json.loads(listed.stdout)["proposals"]}
    # the example's three injected failures, each a proposal about the agent that can fix it
    assert found == {("permission_blocked", "coder", "write_file"),
                     ("soft_failure", "researcher", "read_file"),
                     ("retry_loop", "coder", "run_tests")}, found


def test_the_example_agents_say_when_their_spans_were_not_delivered(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**os.environ, "GAPWATCH_ENDPOINT": f"http://127.0.0.1:{port}"}
    example = subprocess.run([sys.executable, str(EXAMPLES / "multi_agent.py"), "--sessions",
                              "2"], env=env, capture_output=True, text=True, timeout=120,
                             check=False)
    assert example.returncode == 1
    assert "export failed" in example.stderr and f"127.0.0.1:{port}" in example.stderr
    assert "sent " not in example.stdout
