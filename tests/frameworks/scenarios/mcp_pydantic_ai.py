"""MCP tools behind pydantic-ai agents: pydantic-ai's own instrumentation on the agent side,
the MCP Python SDK's own client and server spans on the tool side.

    python mcp_pydantic_ai.py LEDGER_PATH [--sessions N] [--capture FILE]

pydantic-ai's ``MCPToolset`` needs the ``fastmcp`` client, which is not installed here, so the
agents reach the MCP server through a small toolset that does what ``MCPToolset`` does with
its defaults: list the server's tools once, offer them to the model, call them through the
SDK's ``ClientSession`` and turn ``isError`` results and MCP errors into ``ModelRetry``.
Every MCP tool call is three spans: pydantic-ai ``execute_tool <tool>`` → SDK client
``MCP send tools/call <tool>`` → SDK server ``tools/call <tool>`` (other process, same trace).
Delegation is pydantic-ai's agent-as-tool (``ask_researcher`` / ``ask_coder`` run the sub-agent
inside the orchestrator's tool call). The plan and its gaps are in ``_mcp_common``.
"""

from __future__ import annotations

import contextvars
from typing import Any

import _mcp_common as common
from _scenario import Tracing, setup_tracing
from mcp import ClientSession, MCPError, stdio_client
from mcp.types import Tool as McpTool
from pydantic import BaseModel
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset
from pydantic_ai.toolsets.abstract import ToolsetTool
from pydantic_ai.usage import RequestUsage
from pydantic_core import SchemaValidator, core_schema

SERVICE = "support-bot-mcp-pydantic-ai"
_ANY_ARGS = SchemaValidator(core_schema.any_schema())
_SESSION: contextvars.ContextVar[common.Session] = contextvars.ContextVar("session")
_SUBRUN: contextvars.ContextVar[common.SubRun] = contextvars.ContextVar("subrun")


class McpSessionToolset(AbstractToolset[Any]):
    """Some of an MCP server's tools, called through one ``ClientSession``."""

    def __init__(self, session: ClientSession, tools: list[McpTool], names: tuple[str, ...],
                 max_retries: int) -> None:
        self.session = session
        self.tools = [tool for tool in tools if tool.name in names]
        self.max_retries = max_retries

    @property
    def id(self) -> str | None:
        return "mcp-tools"

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        return {tool.name: ToolsetTool(
            toolset=self, max_retries=self.max_retries, args_validator=_ANY_ARGS,
            tool_def=ToolDefinition(name=tool.name, description=tool.description,
                                    parameters_json_schema=tool.input_schema))
            for tool in self.tools}

    async def call_tool(self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any],
                        tool: ToolsetTool[Any]) -> Any:
        try:
            result = await self.session.call_tool(name, tool_args,
                                                  read_timeout_seconds=common.READ_TIMEOUT)
        except MCPError as error:  # MCPToolset: a protocol error is always retryable
            raise ModelRetry(str(error)) from error
        text = "\n".join(getattr(part, "text", "") for part in result.content)
        if result.is_error:  # MCPToolset's default tool_error_behavior='retry'
            raise ModelRetry(text or f"Tool {name!r} returned an error")
        return result.structured_content if result.structured_content is not None else text


class Patch(BaseModel):
    """The coder's answer."""

    files: list[str]
    summary: str


def _turn(messages: list[ModelMessage]) -> int:
    """Model requests already answered in this run: the script's position."""
    return sum(isinstance(message, ModelResponse) for message in messages)


def _respond(messages: list[ModelMessage], parts: list[Any]) -> ModelResponse:
    """A response with steady, made-up usage: FunctionModel's own estimate counts a large diff
    as hundreds of tokens, which would make a cost outlier nobody injected."""
    usage = RequestUsage(input_tokens=350 + 60 * _turn(messages), output_tokens=45)
    return ModelResponse(parts=parts, usage=usage)


def _calls(messages: list[ModelMessage], turn: list[common.Call]) -> ModelResponse:
    return _respond(messages, [ToolCallPart(call.tool, dict(call.args)) for call in turn])


def researcher_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    run = _SUBRUN.get()
    step = _turn(messages)
    if step < len(run.turns):
        return _calls(messages, run.turns[step])
    return _respond(messages, [TextPart(run.answer)])


def coder_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    run = _SUBRUN.get()
    step = _turn(messages)
    if step < len(run.turns):
        return _calls(messages, run.turns[step])
    output = info.output_tools[0].name
    if run.fails:  # a patch without its files: output validation fails every time
        return _respond(messages, [ToolCallPart(output, {"summary": "refactor the handler"})])
    module = run.turns[0][0].args["module"]
    return _respond(messages, [ToolCallPart(output, {
        "files": [module.replace(".", "/") + ".py"], "summary": run.answer})])


def orchestrator_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    session = _SESSION.get()
    turns = [[common.Call("lookup_account", {"customer_id": session.customer_id})]]
    turns += [[common.Call(f"ask_{run.agent}", {"task": run.task})] for run in session.subruns]
    step = _turn(messages)
    if step < len(turns):
        return _calls(messages, turns[step])
    if session.unresolved:
        return _respond(messages, [TextPart("I can't cancel subscriptions or issue refunds.")])
    return _respond(messages, [TextPart("Done: " + "; ".join(
        run.answer for run in session.subruns))])


def build_agents(session: ClientSession, tools: list[McpTool]) -> Agent[None, str]:
    researcher = Agent(
        FunctionModel(researcher_model, model_name="scripted-researcher"), name=common.RESEARCHER,
        instructions="Find the documentation that answers the task.",
        toolsets=[McpSessionToolset(session, tools, common.RESEARCHER_TOOLS, max_retries=3)],
        retries={"tools": 3, "output": 1})
    coder = Agent(
        FunctionModel(coder_model, model_name="scripted-coder"), name=common.CODER,
        output_type=Patch, instructions="Write and check the patch the task asks for.",
        toolsets=[McpSessionToolset(session, tools, common.CODER_TOOLS, max_retries=3)],
        retries={"tools": 3, "output": 1})
    orchestrator: Agent[None, str] = Agent(
        FunctionModel(orchestrator_model, model_name="scripted-orchestrator"),
        name=common.ORCHESTRATOR, instructions="Answer the customer; delegate research and code.",
        toolsets=[McpSessionToolset(session, tools, ("lookup_account",), max_retries=1)],
        retries=1)

    def next_run(agent: str) -> common.SubRun:
        return next(run for run in _SESSION.get().subruns if run.agent == agent)

    @orchestrator.tool
    async def ask_researcher(ctx: RunContext[None], task: str) -> str:
        """Ask the researcher to find documentation."""
        _SUBRUN.set(next_run(common.RESEARCHER))
        result = await researcher.run(task, conversation_id=ctx.conversation_id)
        return result.output

    @orchestrator.tool
    async def ask_coder(ctx: RunContext[None], task: str) -> str:
        """Ask the coder for a patch."""
        _SUBRUN.set(next_run(common.CODER))
        result = await coder.run(task, conversation_id=ctx.conversation_id)
        return result.output.summary

    @orchestrator.output_validator
    def must_resolve(output: str) -> str:
        if output.startswith("I can't"):
            raise ModelRetry("The customer's request must be resolved, not declined.")
        return output

    return orchestrator


async def run_sessions(plan: list[common.Session], files: common.ServerFiles) -> dict[str, int]:
    outcomes = {"ok": 0, "failed": 0}
    async with stdio_client(common.server_parameters(files)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            orchestrator = build_agents(session, tools)
            for planned in plan:
                _SESSION.set(planned)
                try:
                    await orchestrator.run(planned.request, conversation_id=planned.id)
                    outcomes["ok"] += 1
                except Exception:  # the app logs a failed request and serves the next one
                    outcomes["failed"] += 1
    return outcomes


def instrument(capture: bool) -> Tracing:
    """Our provider, then pydantic-ai's own instrumentation, which uses it."""
    tracing = setup_tracing(SERVICE, capture=capture)
    Agent.instrument_all()  # pydantic-ai's own OpenTelemetry instrumentation, defaults
    return tracing


if __name__ == "__main__":
    common.main(__doc__, instrument, run_sessions, common.GAPS)
