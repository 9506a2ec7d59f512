"""Zero-code wrapping of named callables by configuration, and clean uninstrumentation."""

from __future__ import annotations

import asyncio
import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from gapwatch.instrumentation import ArgumentNames, GapwatchInstrumentor, agent
from gapwatch.instrumentation._settings import ConfigurationError
from gapwatch.instrumentation.testing import SpanRecorder

AGENT_FRAMEWORK = """
from __future__ import annotations


class Agent:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, prompt: str, session_id: str | None = None) -> str:
        return dispatch("read_file", {"path": prompt}, tool_call_id="call_1")


def delegate_task(subagent_type, prompt: str, category: str = "quick") -> str:
    return Agent(subagent_type).run(prompt, session_id="s-1")


async def adelegate_task(subagent_type, prompt: str, category: str = "deep") -> str:
    return await adispatch("lsp_find_references", "x" * 300)


def dispatch(tool_name: str, args: dict, tool_call_id: str | None = None) -> dict:
    if args["path"].startswith("/etc"):
        raise PermissionError("outside workspace")
    if args["path"] == "missing":
        return {"error": "no such file"}
    return {"content": "ok"}


async def adispatch(tool_name: str, source: str) -> str:
    raise TimeoutError("lsp did not answer")
"""


@pytest.fixture
def framework(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An importable, not yet imported module name holding a toy agent framework."""
    name = f"toyframework_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(AGENT_FRAMEWORK))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def instrumentor() -> Iterator[GapwatchInstrumentor]:
    instance = GapwatchInstrumentor()
    yield instance
    if instance.is_instrumented_by_opentelemetry:
        instance.uninstrument()


def _instrument(instrumentor: GapwatchInstrumentor, name: str, **extra: object) -> ModuleType:
    instrumentor.instrument(
        agent_callables=[f"{name}:Agent.run"],
        delegation_callables=[f"{name}:delegate_task", f"{name}:adelegate_task"],
        tool_callables=[f"{name}:dispatch", f"{name}:adispatch"],
        argument_names=ArgumentNames(tool_name=("tool_name",), input_size=("source",)),
        frameworks=[],
        **extra,
    )
    # Imported after instrument(): wrapping happens through the post-import hook.
    return importlib.import_module(name)


def test_named_callables_when_module_imported_after_instrument(
    spans: SpanRecorder, framework: str, instrumentor: GapwatchInstrumentor
) -> None:
    module = _instrument(instrumentor, framework)
    with agent("sisyphus"):
        assert module.delegate_task("explore", "notes.md", category="quick") == {"content": "ok"}

    handoff = spans.one("execute_tool delegate_task explore")
    run = spans.one("invoke_agent explore")
    read = spans.one("execute_tool read_file")
    assert run.parent is not None and run.parent.span_id == handoff.context.span_id
    assert read.parent is not None and read.parent.span_id == run.context.span_id
    handoff_attributes = dict(handoff.attributes or {})
    assert handoff_attributes["gen_ai.transfer.target.name"] == "explore"
    assert handoff_attributes["gapwatch.delegation.category"] == "quick"
    assert handoff_attributes["gen_ai.agent.name"] == "sisyphus"
    assert "gapwatch.task" not in handoff_attributes
    assert (run.attributes or {})["gen_ai.conversation.id"] == "s-1"
    read_attributes = dict(read.attributes or {})
    assert read_attributes["gen_ai.tool.call.id"] == "call_1"
    assert read_attributes["gen_ai.agent.name"] == "explore"
    assert read_attributes["gapwatch.tool.outcome"] == "ok"


def test_named_callables_when_outcomes_differ(
    spans: SpanRecorder, framework: str, instrumentor: GapwatchInstrumentor
) -> None:
    module = _instrument(instrumentor, framework)
    with pytest.raises(PermissionError):
        module.dispatch("write_file", {"path": "/etc/passwd"})
    assert module.dispatch("read_file", {"path": "missing"}) == {"error": "no such file"}
    with pytest.raises(TimeoutError):
        asyncio.run(module.adelegate_task("oracle", "why"))

    blocked = spans.one("execute_tool write_file")
    assert (blocked.attributes or {})["gapwatch.tool.outcome"] == "blocked"
    soft = spans.one("execute_tool read_file")
    assert (soft.attributes or {})["gapwatch.tool.outcome"] == "soft_error"
    timed_out = spans.one("execute_tool lsp_find_references")
    assert (timed_out.attributes or {})["gapwatch.tool.outcome"] == "timeout"
    assert (timed_out.attributes or {})["gapwatch.input.size"] == 300
    handoff = spans.one("execute_tool adelegate_task oracle")
    assert (handoff.attributes or {})["gapwatch.tool.outcome"] == "timeout"
    assert timed_out.parent is not None
    assert timed_out.parent.span_id == handoff.context.span_id


def test_uninstrument_when_called_restores_originals(
    spans: SpanRecorder, framework: str, instrumentor: GapwatchInstrumentor
) -> None:
    module = _instrument(instrumentor, framework)
    original_wrapped = module.dispatch.__wrapped__
    instrumentor.uninstrument()
    assert module.dispatch is original_wrapped
    assert module.Agent.__dict__["run"] is module.Agent.run
    module.delegate_task("explore", "notes.md")
    assert spans.spans == []


def test_uninstrument_when_called_on_a_new_instance_restores_originals(
    spans: SpanRecorder, framework: str, instrumentor: GapwatchInstrumentor
) -> None:
    # opentelemetry-instrument instruments through one instance; a later caller (a test
    # teardown, a shutdown hook) typically writes GapwatchInstrumentor().uninstrument()
    module = _instrument(instrumentor, framework)
    original = module.dispatch.__wrapped__
    original_run = module.Agent.__dict__["run"].__wrapped__
    GapwatchInstrumentor().uninstrument()
    assert module.dispatch is original
    assert module.Agent.__dict__["run"] is original_run
    module.delegate_task("explore", "notes.md")
    assert spans.spans == []


def test_instrument_when_module_already_imported(
    spans: SpanRecorder, framework: str, instrumentor: GapwatchInstrumentor
) -> None:
    module = importlib.import_module(framework)
    instrumentor.instrument(tool_callables=[f"{framework}:dispatch"], frameworks=[])
    module.dispatch("read_file", {"path": "a"})
    assert len(spans.named("execute_tool read_file")) == 1


def test_instrument_when_env_configures_everything(
    spans: SpanRecorder, framework: str, instrumentor: GapwatchInstrumentor
) -> None:
    env = {
        "GAPWATCH_DELEGATION_CALLABLES": f"{framework}:delegate_task",
        "GAPWATCH_DELEGATION_TARGET_ARG": "subagent_type",
        "GAPWATCH_DELEGATION_CATEGORY_ARG": "category",
        "GAPWATCH_FRAMEWORKS": "none",
    }
    instrumentor.instrument(env=env)
    importlib.import_module(framework).delegate_task("librarian", "docs", category="writing")
    handoff = spans.one("execute_tool delegate_task librarian")
    assert (handoff.attributes or {})["gapwatch.delegation.category"] == "writing"


def test_instrument_when_target_missing_logs_once(
    spans: SpanRecorder,
    framework: str,
    instrumentor: GapwatchInstrumentor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    instrumentor.instrument(tool_callables=[f"{framework}:no_such_function"], frameworks=[])
    module = importlib.import_module(framework)
    assert module.dispatch("t", {"path": "a"}) == {"content": "ok"}
    assert "no_such_function not found" in caplog.text


def test_instrument_when_spec_malformed_raises(instrumentor: GapwatchInstrumentor) -> None:
    with pytest.raises(ConfigurationError):
        instrumentor.instrument(tool_callables=["no_colon_here"], frameworks=[])
    with pytest.raises(ConfigurationError):
        GapwatchInstrumentor()._instrument(frameworks=["crewai"])
