"""The MCP server over gapwatch's API: tools listed per caller, arguments checked, answers typed.

    server = build_server(api, callers)
    await server.run(read_stream, write_stream, server.create_initialization_options())

Built on the SDK's low-level ``Server`` rather than its decorator layer because the tool list
depends on who asks (an admin token sees the lifecycle tools, a reader token does not), which
needs the caller in the ``tools/list`` handler.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from pydantic import ValidationError

from gapwatch.analyzer.mcp_server.api_client import ApiError, GapwatchApi
from gapwatch.analyzer.mcp_server.budget import clip
from gapwatch.analyzer.mcp_server.prompts import REVIEW, REVIEW_PROMPT, review_messages
from gapwatch.analyzer.mcp_server.tools import TOOLS, TOOLS_BY_NAME, Call, Caller, ToolSpec

logger = logging.getLogger(__name__)

NAME = "gapwatch"
WEEKLY_REVIEW = "gapwatch://report/weekly"
REPORT_CHARS = 24_000
CLIENT_NAME_CHARS = 100
INSTRUCTIONS = (
    "gapwatch finds what AI agents cannot do yet, from their traces: tools that fail, "
    "permissions they lack, delegations that go wrong, loops, regressions. Start with "
    "list_proposals (status open) or the scorecards; show_proposal gives one proposal's "
    "evidence, trace_summary one trace. Approving, rejecting, snoozing or marking a proposal "
    "implemented is the person's decision: only do it when they have decided, with their reason."
)


class CallerSource(Protocol):
    """Who sends a request: over stdio the configured token, over HTTP the request's own."""

    async def caller(self, ctx: ServerRequestContext[Any, Any]) -> Caller: ...


def client_actor(ctx: ServerRequestContext[Any, Any]) -> str:
    """``mcp:<client name>`` from the client's ``initialize`` (or its request envelope)."""
    params = ctx.session.client_params
    name = params.client_info.name.strip() if params is not None else ""
    return "mcp:" + (clip(name, CLIENT_NAME_CHARS) if name else "unnamed-client")


def build_server(api: GapwatchApi, callers: CallerSource, *, version: str = "") -> Server[Any]:
    async def list_tools(ctx: ServerRequestContext[Any, Any],
                         params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        caller = await callers.caller(ctx)
        return types.ListToolsResult(tools=[
            _describe(spec) for spec in TOOLS if caller.admin or not spec.admin_only])

    async def call_tool(ctx: ServerRequestContext[Any, Any],
                        params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = TOOLS_BY_NAME.get(params.name)
        if spec is None:
            raise MCPError(INVALID_PARAMS, f"unknown tool {params.name!r}")
        caller = await callers.caller(ctx)
        if spec.admin_only and not caller.admin:
            raise MCPError(INVALID_PARAMS, f"{spec.name} needs an admin token; this one may "
                           "only read")
        try:
            arguments = spec.arguments.model_validate(params.arguments or {})
        except ValidationError as error:
            raise MCPError(INVALID_PARAMS, f"invalid arguments for {spec.name}: "
                           + _problems(error)) from error
        try:
            answer = await spec.run(Call(api, caller), arguments)
        except ApiError as error:
            # the model can read this and correct itself (a wrong id, a disallowed transition)
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=str(error))], is_error=True)
        data = answer.model_dump(mode="json")
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(data, ensure_ascii=False))],
            structured_content=data)

    async def list_resources(ctx: ServerRequestContext[Any, Any],
                             params: types.PaginatedRequestParams | None
                             ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[types.Resource(
            uri=WEEKLY_REVIEW, name="weekly-review", title="Weekly review",
            description="gapwatch's review of the last 7 days against the 7 before: failure "
            "patterns, proposals, scorecards, trends and verification results (Markdown)",
            mime_type="text/markdown")])

    async def read_resource(ctx: ServerRequestContext[Any, Any],
                            params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        if str(params.uri) != WEEKLY_REVIEW:
            raise MCPError(INVALID_PARAMS, f"unknown resource {params.uri}")
        caller = await callers.caller(ctx)
        try:
            text = await api.get_text("/api/v1/report", caller.token,
                                      params={"format": "md", "window": "7d"})
        except ApiError as error:
            raise MCPError(INTERNAL_ERROR, str(error)) from error
        if len(text) > REPORT_CHARS:
            text = clip(text, REPORT_CHARS) + ("\n\n(the review is longer; the full report is "
                                               "at GET /api/v1/report)\n")
        return types.ReadResourceResult(contents=[types.TextResourceContents(
            uri=WEEKLY_REVIEW, text=text, mime_type="text/markdown")])

    async def list_prompts(ctx: ServerRequestContext[Any, Any],
                           params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[REVIEW_PROMPT])

    async def get_prompt(ctx: ServerRequestContext[Any, Any],
                         params: types.GetPromptRequestParams) -> types.GetPromptResult:
        if params.name != REVIEW:
            raise MCPError(INVALID_PARAMS, f"unknown prompt {params.name!r}")
        agent = (params.arguments or {}).get("agent", "")
        return types.GetPromptResult(description=REVIEW_PROMPT.description,
                                     messages=review_messages(agent))

    return Server(
        NAME, version=version, title="gapwatch", instructions=INSTRUCTIONS,
        on_list_tools=list_tools, on_call_tool=call_tool,
        on_list_resources=list_resources, on_read_resource=read_resource,
        on_list_prompts=list_prompts, on_get_prompt=get_prompt,
    )


def _describe(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name, title=spec.title, description=spec.description,
        input_schema=spec.arguments.model_json_schema(),
        output_schema=spec.answer.model_json_schema(),
        annotations=types.ToolAnnotations(
            title=spec.title, read_only_hint=spec.read_only,
            destructive_hint=False, idempotent_hint=spec.read_only, open_world_hint=False),
    )


def _problems(error: ValidationError) -> str:
    """'limit: Input should be less than or equal to 25; cursor: …' without echoing values."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'arguments'}: {item['msg']}"
        for item in error.errors()
    )
