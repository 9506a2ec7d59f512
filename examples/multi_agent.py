"""A small multi-agent fleet traced with gapwatch: an orchestrator delegates to two sub-agents
that call tools, in many conversations, with the failures gapwatch exists to find (an error
returned as a result, a write a policy blocks, a test run that times out and is retried).

    gapwatch serve &                                # or any OTLP receiver on 127.0.0.1:4318
    .venv/bin/python examples/multi_agent.py        # 40 conversations, about 500 spans
    .venv/bin/gapwatch analyze                      # → proposals for three of the failures
    .venv/bin/python examples/multi_agent.py --console   # print spans instead of exporting

Detectors need repeated evidence before they speak (a few occurrences over several sessions,
and at least 30 traces in the window; see docs/detectors.md), which is why the example runs
many conversations rather than one. Spans go over OTLP/HTTP to ``GAPWATCH_ENDPOINT`` (else
``OTEL_EXPORTER_OTLP_ENDPOINT``, else http://127.0.0.1:4318); the script exits with status 1
and says so when they did not arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter, SpanExportResult

from gapwatch.instrumentation import (
    ToolBlocked,
    agent,
    configure,
    delegation,
    record_feedback,
    tool,
)

SANDBOX = "docs/"
DEFAULT_ENDPOINT = "http://127.0.0.1:4318"


# --- tools -------------------------------------------------------------------------------------
@tool("web_search", tool_type="function")
async def web_search(query: str) -> list[str]:
    await asyncio.sleep(0.002)
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


async def orchestrator(conversation_id: str, rng: random.Random) -> None:
    # one conversation id per user session: detectors count sessions, not spans
    async with agent("orchestrator", conversation_id=conversation_id):
        async with delegation("researcher", category="research", task="find the GenAI spec"):
            finding = await researcher("otel genai agent spans")
        async with delegation("coder", category="quick", task="apply the finding"):
            outcome = await coder(finding, rng)
        record_feedback(1 if outcome == "passed" else -1, comment=f"tests {outcome}")


# --- export ------------------------------------------------------------------------------------
class DeliveryCheck(SpanExporter):
    """Passes spans to the real exporter and counts those it could not deliver, so the script
    can say so instead of claiming success (the SDK only logs a failed export)."""

    def __init__(self, exporter: SpanExporter):
        self.exporter = exporter
        self.delivered = 0
        self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self.exporter.export(spans)
        if result is SpanExportResult.SUCCESS:
            self.delivered += len(spans)
        else:
            self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def endpoint() -> str:
    base = (os.environ.get("GAPWATCH_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or DEFAULT_ENDPOINT)
    return base.rstrip("/") + "/v1/traces"


async def run_fleet(sessions: int, rng: random.Random) -> None:
    run = secrets.token_hex(3)  # a rerun adds new conversations instead of extending old ones
    for index in range(sessions):
        await orchestrator(f"example-{run}-{index}", rng)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--console", action="store_true", help="print spans, export nothing")
    parser.add_argument("--sessions", type=int, default=40,
                        help="conversations to run (default 40: enough for the detectors)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the failures")
    args = parser.parse_args()
    target = endpoint()
    check = DeliveryCheck(ConsoleSpanExporter() if args.console
                          else OTLPSpanExporter(endpoint=target, timeout=5))
    tracing = configure(service_name="example-agents", exporter=check)
    asyncio.run(run_fleet(args.sessions, random.Random(args.seed)))
    tracing.shutdown()  # flush now rather than at exit, so a failure is reported here
    if args.console:
        return 0
    lost = check.failed + tracing.dropped_spans
    if lost or not check.delivered:
        print(f"export failed: {lost} of {lost + check.delivered} spans did not reach {target}. "
              "Is `gapwatch serve` running there? (set GAPWATCH_ENDPOINT to send elsewhere)",
              file=sys.stderr)
        return 1
    print(f"sent {check.delivered} spans from {args.sessions} conversations to {target}; "
          "next: gapwatch analyze, then gapwatch proposals list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
