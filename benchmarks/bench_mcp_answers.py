"""How large the MCP server's answers get on the demo fleet: the largest answer of every tool, in
characters and approximate tokens, against the budget (``MAX_ANSWER_CHARS``).

    .venv/bin/python benchmarks/bench_mcp_answers.py [--sessions 500]

``gapwatch demo``'s fleet is simulated and analysed into an embedded store in a temporary
directory; the real app then serves it under uvicorn on loopback with an admin token, and the
SDK's own client calls every tool over streamable HTTP with its widest arguments: every
proposal shown, every sample trace summarized, the largest pages of every list. Tokens are
estimated at four characters each.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, Implementation, TextContent

from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.demo import DemoOptions, run_demo
from gapwatch.analyzer.demo.runner import DATABASE
from gapwatch.analyzer.mcp_server import MAX_ANSWER_CHARS, WEEKLY_REVIEW
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import open_store

TOKEN = "bench-admin-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500, help="size of the demo fleet")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        run_demo(DemoOptions(data_dir=Path(data), out_dir=Path(data) / "out",
                             sessions=args.sessions), say=lambda line: None)
        settings = Settings(data_dir=data, analysis_interval_minutes=0, admin_tokens=TOKEN,
                            clickhouse_url=f"chdb://{Path(data) / 'chdb'}?database={DATABASE}")
        store = open_store(settings)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store),
                                               log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            while httpx.get(url + "/healthz", timeout=5).status_code != 200:
                time.sleep(0.05)
            sizes = anyio.run(measure, url + "/mcp")
        finally:
            server.should_exit = True
            thread.join(10)
            store.close()
    report(sizes, args.sessions)


async def measure(mcp_url: str) -> dict[str, list[int]]:
    sizes: dict[str, list[int]] = defaultdict(list)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx2.AsyncClient(headers=headers, timeout=300) as http, Client(
        streamable_http_client(mcp_url, http_client=http), mode="legacy",
        client_info=Implementation(name="bench", version="1"),
    ) as client:
        async def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
            result: CallToolResult = await client.call_tool(name, arguments)
            block = result.content[0]
            assert isinstance(block, TextContent), block
            sizes[name].append(len(block.text))
            if result.is_error:  # counted (an error answer is an answer too) and shown
                print(f"{name} {arguments}: {block.text}")
                return {}
            assert isinstance(result.structured_content, dict)
            return result.structured_content

        proposals: list[dict[str, Any]] = []
        cursor = None
        while True:  # the widest pages, through to the end
            page = await call("list_proposals", {"limit": 25, **({"cursor": cursor} if cursor
                                                                 else {})})
            proposals += page["proposals"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        traces: set[str] = set()
        for brief in proposals:
            shown = await call("show_proposal", {"proposal_id": brief["id"]})
            traces.update(shown["evidence"]["sample_traces"])
        for trace_id in sorted(traces):
            await call("trace_summary", {"trace_id": trace_id})
        for name in ("agent_scorecard", "tool_scorecard", "delegation_matrix"):
            for window in ("1d", "7d", "4w"):
                await call(name, {"window": window, "limit": 50})
        await call("run_analysis", {"window": "7d", "dry_run": True})
        await call("snooze_proposal", {"proposal_id": proposals[-1]["id"],
                                       "reason": "measuring the answer of a decision"})
        review = await client.read_resource(WEEKLY_REVIEW)
        text = review.contents[0]
        sizes["resource " + WEEKLY_REVIEW].append(len(getattr(text, "text", "")))
    return sizes


def report(sizes: dict[str, list[int]], sessions: int) -> None:
    print(f"MCP answers on the demo fleet ({sessions} sessions); budget per tool answer "
          f"{MAX_ANSWER_CHARS} characters (~{MAX_ANSWER_CHARS // 4} tokens)")
    print(f"{'answer':42} {'calls':>5} {'largest chars':>14} {'~tokens':>8}")
    over = []
    for name, values in sizes.items():
        largest = max(values)
        print(f"{name:42} {len(values):>5} {largest:>14} {largest // 4:>8}")
        if not name.startswith("resource") and largest > MAX_ANSWER_CHARS:
            over.append(name)
    print("every tool answer within the budget" if not over else f"OVER BUDGET: {over}")


if __name__ == "__main__":
    main()
