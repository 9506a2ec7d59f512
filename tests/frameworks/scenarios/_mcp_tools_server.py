"""The MCP server the MCP scenarios' agents call: an ``MCPServer`` (mcp 2.x) over stdio.

It runs in its own process, launched by the scenario's MCP client, with its own
TracerProvider (``service.name = mcp-tools``) exporting to the same OTLP endpoint, so the
SDK's server spans (``tools/call <tool>`` SERVER, on by default) join the client's traces through
the ``traceparent`` the client puts in ``params._meta``.

Failures are decided by the arguments, so the scenario plans them: ``fetch_page`` raises for
pages on the legacy wiki, ``summarize_diff`` is too slow for large diffs (the client's read
timeout fires), ``quota_status`` answers ``isError`` for projects over quota and ``cite_source``
returns an ``{"error": …}`` payload for rate-limited DOIs.

Environment: ``MCP_TOOLS_COUNT_FILE`` (where to write the number of spans exported, at exit),
``MCP_TOOLS_CAPTURE_FILE`` (optional: the spans as OTLP/JSON), plus the ``OTEL_*`` exporter
variables.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from _scenario import otlp_request, setup_tracing, write_capture
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent

LARGE_DIFF = 4_000  # characters; larger diffs take longer than the client waits
SLOW_SECONDS = 2.0  # how long a large diff takes (the client gives up after 0.5 s)
OVER_QUOTA_PREFIX = "legacy-"
RATE_LIMITED_PREFIX = "10.9999/"
FLAKY_HOST = "wiki.legacy.internal"


def build_server() -> MCPServer:
    """The tools of the support bot's sub-agents and orchestrator."""
    server = MCPServer("mcp-tools", log_level="CRITICAL")

    @server.tool()
    def lookup_account(customer_id: str) -> dict[str, Any]:
        """Look up a customer's account: plan, region and open tickets."""
        return {"customer_id": customer_id, "plan": "team", "region": "eu-west",
                "open_tickets": len(customer_id) % 4}

    @server.tool()
    def search_docs(query: str) -> list[str]:
        """Search the product documentation; returns matching page URLs."""
        slug = "-".join(query.lower().split()[:4])
        return [f"https://docs.example.com/{slug}", f"https://docs.example.com/{slug}/faq"]

    @server.tool()
    def fetch_page(url: str) -> str:
        """Fetch a documentation or wiki page as text."""
        if FLAKY_HOST in url:
            raise ConnectionError(f"upstream {FLAKY_HOST} answered 503")
        return f"# {url.rsplit('/', 1)[-1]}\nThe page explains the feature step by step."

    @server.tool()
    def check_index(job_id: str) -> dict[str, str]:
        """Status of a documentation re-indexing job."""
        return {"job_id": job_id, "status": "pending"}

    @server.tool()
    def cite_source(doi: str) -> dict[str, str]:
        """Resolve a DOI to a citation."""
        if doi.startswith(RATE_LIMITED_PREFIX):
            return {"error": "rate limited by the citation service, retry later"}
        return {"doi": doi, "title": f"On {doi.rsplit('/', 1)[-1]}", "year": "2024"}

    @server.tool()
    def archive_search(query: str, year: int) -> list[str]:
        """Search the archived (pre-2020) documentation."""
        return [f"https://archive.example.com/{year}/{query.replace(' ', '-')}"]

    @server.tool()
    def run_tests(module: str) -> dict[str, Any]:
        """Run a module's unit tests."""
        return {"module": module, "passed": 12 + len(module) % 7, "failed": 0}

    @server.tool()
    async def summarize_diff(diff: str) -> str:
        """Summarize a unified diff for the change description."""
        if len(diff) > LARGE_DIFF:
            await asyncio.sleep(SLOW_SECONDS)
        return f"{diff.count(chr(10)) + 1} changed lines, mostly refactoring"

    @server.tool()
    def quota_status(project: str) -> CallToolResult:
        """CI minutes left for a project."""
        if project.startswith(OVER_QUOTA_PREFIX):
            return CallToolResult(
                content=[TextContent(type="text", text="quota exceeded: no CI minutes left")],
                is_error=True)
        return CallToolResult(content=[TextContent(type="text", text="1840 CI minutes left")])

    return server


def main() -> None:
    capture = os.environ.get("MCP_TOOLS_CAPTURE_FILE")
    tracing = setup_tracing("mcp-tools", capture=bool(capture))
    # the client stops a server that does not exit within 2 s of EOF with SIGTERM: flush then too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        build_server().run("stdio")
    finally:
        tracing.shutdown()
        if capture:
            write_capture(Path(capture), otlp_request(tracing.captured()))
        Path(os.environ["MCP_TOOLS_COUNT_FILE"]).write_text(str(tracing.counter.count))


if __name__ == "__main__":
    main()
