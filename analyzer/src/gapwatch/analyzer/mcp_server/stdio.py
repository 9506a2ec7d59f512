"""``gapwatch mcp``: the MCP server over stdio, for a client that launches it.

    asyncio.run(serve_stdio("http://127.0.0.1:8080", token))

Standard output carries the protocol, so nothing else may print there; logs go to stderr.
"""

from __future__ import annotations

from mcp.server.stdio import stdio_server

from gapwatch.analyzer.mcp_server.api_client import GapwatchApi
from gapwatch.analyzer.mcp_server.callers import ConfiguredToken
from gapwatch.analyzer.mcp_server.server import build_server


async def serve_stdio(api_url: str, token: str, *, version: str = "") -> None:
    """Serve one client on stdin/stdout until it closes the pipe."""
    api = GapwatchApi(api_url)
    server = build_server(api, ConfiguredToken(api, token), version=version)
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await api.aclose()
