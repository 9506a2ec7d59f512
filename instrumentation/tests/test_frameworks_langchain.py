"""LangChain tools and LangGraph agents, run offline with langchain-core's scripted chat model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

# create_react_agent is deprecated in favour of langchain.agents.create_agent (another package);
# it is still the langgraph-only way to build a tool-calling agent.
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import ToolException, tool
from langgraph.prebuilt import create_react_agent

from gapwatch.instrumentation import GapwatchInstrumentor
from gapwatch.instrumentation.testing import SpanRecorder

pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")


class ScriptedModel(GenericFakeChatModel):
    """langchain-core's fake chat model, accepting tools as a real tool-calling model would."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedModel:  # type: ignore[override]
        return self


def _call(name: str, call_id: str, **args: Any) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id}])


@pytest.fixture(autouse=True)
def instrumented() -> Iterator[None]:
    instrumentor = GapwatchInstrumentor()
    instrumentor.instrument(frameworks=["langchain"])
    yield
    instrumentor.uninstrument()


def _build_agents() -> Any:
    @tool
    def search(query: str) -> str:
        """Search the web."""
        return f"results for {query}"

    @tool
    def flaky_lookup(key: str) -> str:
        """Look a key up."""
        raise ToolException(f"{key} is not indexed")

    flaky_lookup.handle_tool_error = True

    researcher = create_react_agent(
        ScriptedModel(
            messages=iter(
                [
                    _call("search", "call_s1", query="otel genai"),
                    _call("flaky_lookup", "call_f1", key="k1"),
                    AIMessage(content="found it"),
                ]
            )
        ),
        tools=[search, flaky_lookup],
        name="researcher",
    )

    @tool
    def ask_researcher(question: str) -> str:
        """Delegate a research question."""
        answer = researcher.invoke({"messages": [("user", question)]})
        return str(answer["messages"][-1].content)

    orchestrator = create_react_agent(
        ScriptedModel(
            messages=iter([_call("ask_researcher", "call_o1", question="why"), AIMessage("ok")])
        ),
        tools=[ask_researcher],
        name="orchestrator",
    )
    return orchestrator


def _assert_tree(spans: SpanRecorder) -> None:
    orchestrator = spans.one("invoke_agent orchestrator")
    ask = spans.one("execute_tool ask_researcher")
    researcher = spans.one("invoke_agent researcher")
    search = spans.one("execute_tool search")
    flaky = spans.one("execute_tool flaky_lookup")
    assert orchestrator.parent is None
    assert ask.parent is not None and ask.parent.span_id == orchestrator.context.span_id
    assert researcher.parent is not None and researcher.parent.span_id == ask.context.span_id
    for child in (search, flaky):
        assert child.parent is not None and child.parent.span_id == researcher.context.span_id

    assert (orchestrator.attributes or {})["gen_ai.conversation.id"] == "thread-1"
    ask_attributes = dict(ask.attributes or {})
    assert ask_attributes["gen_ai.transfer.target.name"] == "researcher"
    assert ask_attributes["gen_ai.transfer.mode"] == "return_to_caller"
    assert ask_attributes["gen_ai.agent.name"] == "orchestrator"
    assert ask_attributes["gapwatch.tool.outcome"] == "ok"
    search_attributes = dict(search.attributes or {})
    assert search_attributes == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "search",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": "call_s1",
        "gen_ai.agent.name": "researcher",
        "gen_ai.conversation.id": "thread-1",
        "gapwatch.attempt": 1,
        "gapwatch.tool.outcome": "ok",
    }
    # A handled ToolException comes back as ToolMessage(status="error"): a soft error.
    assert (flaky.attributes or {})["gapwatch.tool.outcome"] == "soft_error"


def test_langgraph_agents_when_invoked_sync(spans: SpanRecorder) -> None:
    orchestrator = _build_agents()
    result = orchestrator.invoke(
        {"messages": [("user", "go")]}, config={"configurable": {"thread_id": "thread-1"}}
    )
    assert result["messages"][-1].content == "ok"
    _assert_tree(spans)


def test_langgraph_agents_when_invoked_async(spans: SpanRecorder) -> None:
    orchestrator = _build_agents()
    result = asyncio.run(
        orchestrator.ainvoke(
            {"messages": [("user", "go")]}, config={"configurable": {"thread_id": "thread-1"}}
        )
    )
    assert result["messages"][-1].content == "ok"
    _assert_tree(spans)


def test_langchain_tool_when_exception_unhandled(spans: SpanRecorder) -> None:
    @tool
    def divide(a: int, b: int) -> float:
        """Divide."""
        return a / b

    with pytest.raises(ZeroDivisionError):
        divide.invoke({"a": 1, "b": 0})
    attributes = dict(spans.one("execute_tool divide").attributes or {})
    assert attributes["gapwatch.tool.outcome"] == "error"
    assert attributes["error.type"] == "ZeroDivisionError"
