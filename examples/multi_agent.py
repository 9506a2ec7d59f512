"""A multi-agent run traced with gapwatch: an orchestrator delegates to two sub-agents that call
tools, with the failures gapwatch exists to find (a soft error, a blocked write, a timeout that
is retried).

    gapwatch serve &                       # or any OTLP receiver on 127.0.0.1:4318
    .venv/bin/python examples/multi_agent.py
    .venv/bin/python examples/multi_agent.py --console   # print spans instead of exporting

Spans go to ``GAPWATCH_ENDPOINT`` (default http://127.0.0.1:4318) over OTLP/HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import random

from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from gapwatch.instrumentation import (
    ToolBlocked,
    agent,
    configure,
    delegation,
    record_feedback,
    tool,
)

SANDBOX = "docs/"


# --- tools -------------------------------------------------------------------------------------
@tool("web_search", tool_type="function")
async def web_search(query: str) -> list[str]:
    await asyncio.sleep(0.01)
    return [f"result {i} for {query}" for i in range(3)]


@tool("read_file", input_size=lambda path: len(path), input_unit="bytes")
def read_file(path: str) -> dict[str, str]:
    if path.endswith(".missing"):
        return {"error": f"{path}: no such file"}  # error payload, no exception: soft_error
    return {"content": f"contents of {path}"}


def write_file(path: str, text: str) -> None:
    with tool("write_file", input_size=len(text)):
        if not path.startswith(SANDBOX):
            raise ToolBlocked(f"{path} is outside {SANDBOX}", desired_capability="write src/")


async def run_tests(module: str, rng: random.Random) -> str:
    """Retried on timeout: the same call id, so attempts are numbered 1, 2, …"""
    for _ in range(3):
        try:
            async with tool(
                "run_tests", call_id=f"tests-{module}", input_size=5200, input_unit="lines"
            ):
                if rng.random() < 0.6:
                    raise TimeoutError(f"tests of {module} took too long")
                return "passed"
        except TimeoutError:
            continue
    return "gave up"


# --- agents ------------------------------------------------------------------------------------
async def researcher(question: str) -> str:
    async with agent("researcher", version="1.3.0"):
        hits = await web_search(question)
        read_file("notes/otel.md")
        read_file("notes/old.missing")
        return hits[0]


async def coder(change: str, rng: random.Random) -> str:
    async with agent("coder", version="0.9.2", prompt_version="coder-v4"):
        try:
            write_file("src/app.py", change)
        except ToolBlocked:
            write_file("docs/app.md", change)  # falls back to where it may write
        return await run_tests("app", rng)


async def orchestrator(rng: random.Random) -> None:
    async with agent("orchestrator", conversation_id="example-session-1"):
        async with delegation("researcher", category="research", task="find the GenAI spec"):
            finding = await researcher("otel genai agent spans")
        async with delegation("coder", category="quick", task="apply the finding"):
            outcome = await coder(finding, rng)
        record_feedback(1 if outcome == "passed" else -1, comment=f"tests {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--console", action="store_true", help="print spans, export nothing")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tracing = configure(
        service_name="example-agents",
        exporter=ConsoleSpanExporter() if args.console else None,
    )
    asyncio.run(orchestrator(random.Random(args.seed)))
    tracing.shutdown()  # flush now rather than at exit, so errors show up here
    target = "the console" if args.console else tracing.endpoint
    print(f"done: spans sent to {target}; dropped={tracing.dropped_spans}")


if __name__ == "__main__":
    main()
