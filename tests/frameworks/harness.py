"""The conformance harness: a real framework's scenario → its own OTel instrumentation → OTLP →
a real ``gapwatch serve`` → analysis → proposals held to the scenario's ledger.

Each scenario is a script run in its own process, Python or Node.js (instrumentors patch
libraries globally, so two instrumentations must never share a process). It exports over
OTLP/HTTP to the endpoint in ``OTEL_EXPORTER_OTLP_ENDPOINT`` and writes its ledger — the gaps
it injected and the delegations it made — as JSON to the path given as its first argument:

    {"spans": 1234,                       # spans it exported (the harness waits for them)
     "gaps": [{"detector": "tool_failure_hotspot", "tool": "fetch_page", "agent": "researcher",
               "target_agent": ""}],
     "delegations": [{"caller": "orchestrator", "target": "researcher"}]}

    ledger = run_scenario(SCENARIOS / "pydantic_ai_genai.py", server)
    check_conformance(server, ledger)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.serving import GapwatchServer

SCENARIO_TIMEOUT = 600.0
KEY_FIELDS = ("detector", "tool", "agent", "target_agent")


@dataclass(frozen=True)
class Ledger:
    spans: int
    gaps: frozenset[tuple[str, str, str, str]]
    delegations: frozenset[tuple[str, str]]


def run_scenario(script: Path, server: GapwatchServer, *args: str,
                 env: dict[str, str] | None = None) -> Ledger:
    """Run one scenario script against ``server``; returns its ledger once its spans are stored."""
    with tempfile.TemporaryDirectory() as scratch:
        ledger_path = Path(scratch) / "ledger.json"
        child_env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": server.otlp_http_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            # no framework may reach a real model or a vendor's tracing service
            "OPENAI_API_KEY": "sk-test-not-used",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "OPENAI_AGENTS_DISABLE_TRACING_EXPORT": "1",
            "TRACELOOP_TELEMETRY": "false",
            "LANGCHAIN_TRACING_V2": "false",
            **(env or {}),
        }
        # Node.js scenarios (tests/frameworks/node) run under node, the others under this Python
        runner = ["node"] if script.suffix in (".js", ".mjs", ".cjs") else [sys.executable]
        done = subprocess.run(
            [*runner, str(script), str(ledger_path), *args], env=child_env,
            capture_output=True, text=True, timeout=SCENARIO_TIMEOUT,
        )
        if done.returncode != 0:
            raise AssertionError(f"scenario {script.name} failed ({done.returncode}):\n"
                                 f"{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
        raw = json.loads(ledger_path.read_text())
    ledger = Ledger(
        spans=int(raw["spans"]),
        gaps=frozenset(_gap_key(gap) for gap in raw["gaps"]),
        delegations=frozenset((d["caller"], d["target"]) for d in raw.get("delegations", [])),
    )
    server.wait_for_spans(ledger.spans)
    return ledger


def analyze(server: GapwatchServer, window: str = "1d") -> list[dict[str, Any]]:
    """Run an analysis on the server and return every open proposal."""
    with httpx.Client(base_url=server.api_url, timeout=300) as api:
        run = api.post("/api/v1/analyses", json={"window": window})
        assert run.status_code == 200, run.text
        proposals: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = api.get("/api/v1/proposals", params=params).json()
            proposals.extend(page["proposals"])
            cursor = page.get("next_cursor")
            if not cursor:
                return proposals


def delegation_edges(server: GapwatchServer, window: str = "1d") -> set[tuple[str, str]]:
    """Caller → target pairs of ``/api/v1/delegations``."""
    answer = httpx.get(server.api_url + "/api/v1/delegations", params={"window": window},
                       timeout=60).json()
    return {(edge["caller"], edge["target"]) for edge in answer["delegations"]}


def proposal_keys(proposals: list[dict[str, Any]]) -> set[tuple[str, str, str, str]]:
    return {(p["detector"], p["subject"].get("tool") or "", p["subject"].get("agent") or "",
             p["subject"].get("target_agent") or "") for p in proposals}


def check_conformance(server: GapwatchServer, ledger: Ledger) -> list[dict[str, Any]]:
    """Every injected gap found with its detector, tool, agent and target agent; nothing else;
    every delegation of the ledger in the delegation matrix. Returns the proposals."""
    proposals = analyze(server)
    found = proposal_keys(proposals)
    missed = sorted(ledger.gaps - found)
    extra = [p for p in proposals if proposal_keys([p]) - ledger.gaps]
    problems = []
    if missed:
        problems.append("missed gaps (detector, tool, agent, target_agent):\n  "
                        + "\n  ".join(map(str, missed)))
    if extra:
        problems.append("proposals that are not injected gaps:\n  " + "\n  ".join(
            f"{k} — {p['title']}" for p in extra for k in proposal_keys([p])))
    edges = delegation_edges(server)
    absent = sorted(ledger.delegations - edges)
    if absent:
        problems.append(f"delegations missing from /api/v1/delegations: {absent}; "
                        f"it lists {sorted(edges)}")
    assert not problems, "\n".join(problems)
    return proposals


def _gap_key(gap: dict[str, str]) -> tuple[str, str, str, str]:
    return tuple(str(gap.get(field) or "") for field in KEY_FIELDS)  # type: ignore[return-value]
