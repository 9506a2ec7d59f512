"""gapwatch as an MCP server: agents and the people talking to them ask what keeps failing and
act on it, through gapwatch's API.

    gapwatch mcp                      # stdio, for a client that launches it
    gapwatch serve                    # also serves streamable HTTP at /mcp, same tokens

    server = build_server(GapwatchApi(url), callers)
"""

from gapwatch.analyzer.mcp_server.api_client import ApiError, GapwatchApi
from gapwatch.analyzer.mcp_server.budget import MAX_ANSWER_CHARS
from gapwatch.analyzer.mcp_server.callers import ConfiguredToken, RequestToken
from gapwatch.analyzer.mcp_server.http import McpEndpoint, mount_mcp
from gapwatch.analyzer.mcp_server.server import WEEKLY_REVIEW, build_server
from gapwatch.analyzer.mcp_server.stdio import serve_stdio
from gapwatch.analyzer.mcp_server.tools import TOOLS, Caller, ToolSpec

__all__ = [
    "MAX_ANSWER_CHARS",
    "TOOLS",
    "WEEKLY_REVIEW",
    "ApiError",
    "Caller",
    "ConfiguredToken",
    "GapwatchApi",
    "McpEndpoint",
    "RequestToken",
    "ToolSpec",
    "build_server",
    "mount_mcp",
    "serve_stdio",
]
