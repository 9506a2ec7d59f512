"""The zero-code path end to end: ``opentelemetry-instrument python agent.py`` with environment
variables only, exporting OTLP/HTTP to a real gapwatch collector that stores into ClickHouse.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gapwatch.collector import connect
from gapwatch.collector.server import CollectorConfig, CollectorServer

FRAMEWORK = """
def delegate_task(subagent_type, prompt, category="quick"):
    return run_agent(subagent_type, prompt)


def run_agent(agent_name, prompt):
    dispatch("grep", {"pattern": prompt}, tool_call_id="call_1")
    try:
        dispatch("write", {"path": "src/app.py"}, tool_call_id="call_2")
    except PermissionError:
        pass
    return "done"


def dispatch(tool_name, args, tool_call_id=None):
    if tool_name == "write":
        raise PermissionError("prometheus-md-only blocked")
    return {"matches": 3}
"""

AGENT_SCRIPT = """
import toyagents

# No gapwatch import, no OpenTelemetry call: everything comes from opentelemetry-instrument.
toyagents.delegate_task("explore", "find patterns", category="research")
"""


@pytest.fixture
def collector(store_url: str, tmp_path: Path) -> Iterator[CollectorServer]:
    server = CollectorServer(
        CollectorConfig(
            store_url=store_url,
            host="127.0.0.1",
            http_port=0,
            grpc_port=-1,
            wal_dir=tmp_path / "wal",
        )
    )
    server.start()
    yield server
    server.stop()


def test_zero_code_when_run_under_opentelemetry_instrument(
    collector: CollectorServer, store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "toyagents.py").write_text(textwrap.dedent(FRAMEWORK))
    (tmp_path / "agent.py").write_text(textwrap.dedent(AGENT_SCRIPT))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "GAPWATCH_"))
    }
    env.update(
        {
            "PYTHONPATH": str(tmp_path),
            "OTEL_SERVICE_NAME": "zero-code-agent",
            "OTEL_PYTHON_CONFIGURATOR": "gapwatch",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.http_port}",
            "GAPWATCH_AGENT_VERSION": "3.1.0",
            "GAPWATCH_DELEGATION_CALLABLES": "toyagents:delegate_task",
            "GAPWATCH_AGENT_CALLABLES": "toyagents:run_agent",
            "GAPWATCH_TOOL_CALLABLES": "toyagents:dispatch",
            "GAPWATCH_TOOL_NAME_ARG": "tool_name",
            "GAPWATCH_FRAMEWORKS": "none",
        }
    )
    launcher = Path(sys.executable).with_name("opentelemetry-instrument")
    completed = subprocess.run(
        [str(launcher), sys.executable, str(tmp_path / "agent.py")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert completed.returncode == 0, completed.stderr
    assert collector.wait_stored(timeout_s=30)

    rows = _spans(store_url)
    by_name = {row["SpanName"]: row for row in rows}
    assert sorted(by_name) == [
        "execute_tool delegate_task explore",
        "execute_tool grep",
        "execute_tool write",
        "invoke_agent explore",
    ]
    handoff = by_name["execute_tool delegate_task explore"]
    run = by_name["invoke_agent explore"]
    grep = by_name["execute_tool grep"]
    write = by_name["execute_tool write"]
    assert {row["ServiceName"] for row in rows} == {"zero-code-agent"}
    assert len({row["TraceId"] for row in rows}) == 1
    assert handoff["ParentSpanId"] == ""
    assert run["ParentSpanId"] == handoff["SpanId"]
    assert grep["ParentSpanId"] == write["ParentSpanId"] == run["SpanId"]
    assert handoff["SpanAttributes"]["gen_ai.transfer.target.name"] == "explore"
    assert handoff["SpanAttributes"]["gapwatch.delegation.category"] == "research"
    assert run["SpanAttributes"]["gapwatch.agent.version"] == "3.1.0"
    assert run["ResourceAttributes"]["gapwatch.agent.version"] == "3.1.0"
    assert grep["SpanAttributes"]["gapwatch.tool.outcome"] == "ok"
    assert grep["SpanAttributes"]["gen_ai.tool.call.id"] == "call_1"
    assert write["SpanAttributes"]["gapwatch.tool.outcome"] == "blocked"
    assert write["SpanAttributes"]["gapwatch.blocked.reason"] == "prometheus-md-only blocked"
    assert write["StatusCode"] == "Error"
    assert "gen_ai.tool.call.arguments" not in grep["SpanAttributes"]


def _spans(store_url: str) -> list[dict[str, Any]]:
    client = connect(store_url)
    try:
        result = client.query(
            "SELECT SpanName, TraceId, SpanId, ParentSpanId, ServiceName, StatusCode, "
            "SpanAttributes, ResourceAttributes FROM otel_traces"
        )
        return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    finally:
        client.close()
