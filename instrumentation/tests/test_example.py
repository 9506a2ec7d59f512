"""The README's multi-agent example produces the tree and outcomes it promises."""

from __future__ import annotations

import asyncio
import importlib.util
import random
from pathlib import Path
from types import ModuleType

from gapwatch.instrumentation.testing import SpanRecorder

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multi_agent.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("multi_agent_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_multi_agent_example_when_run(spans: SpanRecorder) -> None:
    example = _load()
    asyncio.run(example.orchestrator("example-session-1", random.Random(7)))

    root = spans.one("invoke_agent orchestrator")
    for sub_agent in ("researcher", "coder"):
        handoff = spans.one(f"execute_tool delegate {sub_agent}")
        run = spans.one(f"invoke_agent {sub_agent}")
        assert handoff.parent is not None and handoff.parent.span_id == root.context.span_id
        assert run.parent is not None and run.parent.span_id == handoff.context.span_id
    outcomes = sorted(
        (span.name, (span.attributes or {}).get("gapwatch.tool.outcome"))
        for span in spans.spans
        if span.name.startswith("execute_tool ") and "delegate" not in span.name
    )
    assert ("execute_tool read_file", "soft_error") in outcomes
    assert ("execute_tool write_file", "blocked") in outcomes
    assert ("execute_tool write_file", "ok") in outcomes
    attempts = [
        (s.attributes or {})["gapwatch.attempt"] for s in spans.named("execute_tool run_tests")
    ]
    assert attempts == list(range(1, len(attempts) + 1))
    assert {
        span.attributes["gen_ai.conversation.id"] for span in spans.spans if span.attributes
    } == {"example-session-1"}
