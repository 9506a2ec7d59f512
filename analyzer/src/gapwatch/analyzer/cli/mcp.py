"""``gapwatch mcp``: gapwatch as an MCP server on stdin/stdout, for a client that launches it.

    gapwatch mcp                                   # the local serve (serve.json), else :8080
    GAPWATCH_API_URL=https://gapwatch.example GAPWATCH_API_TOKEN=… gapwatch mcp

It talks to a running gapwatch through its API, so it works beside ``gapwatch serve`` on the
embedded store and against a server deployment. ``gapwatch serve`` also serves the same tools
over streamable HTTP at ``/mcp``.
"""

from __future__ import annotations

import argparse
import logging

from gapwatch.analyzer.cli._backend import _advertised_url, settings_from

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("mcp", help="serve gapwatch's tools to an MCP client (stdio)")
    parser.add_argument("--api-url", help="a running gapwatch API (env GAPWATCH_API_URL; "
                        "default: the local serve, else http://127.0.0.1:8080)")
    parser.add_argument("--token", help="reader or admin token (env GAPWATCH_API_TOKEN); an "
                        "admin token also offers the lifecycle tools")
    parser.add_argument("--data-dir", help="where a local serve advertises its API "
                        "(env GAPWATCH_DATA_DIR)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import anyio

    from gapwatch.analyzer.mcp_server import serve_stdio

    settings = settings_from(args)
    url = (settings.api_url or _advertised_url(settings, explicit_store=False)
           or f"http://127.0.0.1:{settings.api_port}")
    # stdout is the protocol channel; the SDK's per-request INFO lines would flood stderr
    logging.getLogger("mcp").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logger.info("gapwatch MCP server on stdio, using the API at %s", url)
    anyio.run(lambda: serve_stdio(url, settings.api_token))
    return 0
