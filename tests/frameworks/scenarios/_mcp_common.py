"""Shared parts of the MCP scenarios: the session plan, the MCP server launch, the capture of
client and server spans, the ledger and ``main``.

The plan is the same for every MCP setup, so their ledgers differ only where a setup cannot
express a gap. An orchestrator looks up the customer's account (an MCP tool), then delegates
to a ``researcher`` and/or a ``coder``; both sub-agents use MCP tools only. Injected gaps (one
tool or delegation each):

* ``fetch_page`` (researcher) raises on the legacy wiki: ``tool_failure_hotspot``;
* ``summarize_diff`` (coder) outlasts the client's read timeout on large diffs:
  ``timeout_input_correlation``;
* ``quota_status`` (coder) answers ``isError`` for projects over quota: ``soft_failure``;
* ``cite_source`` (researcher) returns ``{"error": …}`` as a normal result: ``soft_failure``;
* ``check_index`` (researcher) is polled 3–4 times with the same job id: ``retry_loop``;
* ``archive_search`` (researcher) is offered and never called: ``unused_tool``;
* one request (a refund) asked in 12 sessions; the orchestrator cannot resolve it:
  ``repeated_request``;
* the coder returns an invalid patch in ~43 % of its runs, which fails its run and the
  orchestrator's: ``delegation_failure`` orchestrator → coder (the researcher is healthy).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _scenario import (
    Tracing,
    gap,
    ngram_distance,
    ngrams,
    otlp_request,
    scenario_parser,
    write_capture,
    write_ledger,
)

HERE = Path(__file__).resolve().parent
SERVER_SCRIPT = HERE / "_mcp_tools_server.py"
READ_TIMEOUT = 0.5  # seconds the client waits for a tool result (the SDK's read timeout)
FLAKY_HOST = "wiki.legacy.internal"
REPEATED_REQUEST = "Cancel my subscription and refund every invoice since March."

ORCHESTRATOR, RESEARCHER, CODER = "orchestrator", "researcher", "coder"
RESEARCHER_TOOLS = ("search_docs", "fetch_page", "check_index", "cite_source", "archive_search")
CODER_TOOLS = ("run_tests", "summarize_diff", "quota_status")

GAPS: list[dict[str, str]] = [
    gap("tool_failure_hotspot", "fetch_page", RESEARCHER),
    gap("timeout_input_correlation", "summarize_diff", CODER),
    gap("soft_failure", "quota_status", CODER),
    gap("soft_failure", "cite_source", RESEARCHER),
    gap("retry_loop", "check_index", RESEARCHER),
    gap("unused_tool", "archive_search", RESEARCHER),
    gap("repeated_request", "", ORCHESTRATOR),
    gap("delegation_failure", "", ORCHESTRATOR, CODER),
]
DELEGATIONS = [(ORCHESTRATOR, RESEARCHER), (ORCHESTRATOR, CODER)]


@dataclass
class Call:
    tool: str
    args: dict[str, Any]


@dataclass
class SubRun:
    """One sub-agent run: its task and the model's scripted turns (tool calls per turn)."""

    agent: str
    task: str
    turns: list[list[Call]]
    answer: str
    fails: bool = False  # the coder returns an invalid patch (its run fails)


@dataclass
class Session:
    id: str
    request: str
    customer_id: str
    subruns: list[SubRun] = field(default_factory=list)
    unresolved: bool = False  # the orchestrator cannot resolve it (its run fails)


# ---------------------------------------------------------------- request texts

_OPENINGS = [
    "How do I configure", "Why did we lose", "Can you explain", "Please fix",
    "Is anyone else seeing broken", "I need help with", "Where is the guide for",
    "Our auditors asked about", "Quick question on", "Urgent: customers report trouble with",
    "What changed in", "Could you debug", "Help me understand", "Any workaround for",
    "Tell me the limits of", "We want to roll out",
]
_SUBJECTS = [
    "single sign-on with Okta", "API keys in staging", "the billing history CSV",
    "webhooks on the v3 endpoint", "login alerts from new countries", "per-team rate limits",
    "a deleted dashboard", "audit logs", "old support tickets", "two-factor for contractors",
    "slow search queries", "German onboarding emails", "nightly data exports",
    "duplicate customer records", "guest access to private channels", "SAML group mapping",
    "usage-based invoices", "the Slack integration", "custom domains with TLS",
    "data residency in Frankfurt", "read replicas for reporting", "mobile push notifications",
    "the public status page", "SCIM user provisioning",
]
_ENDINGS = [
    "?", " since Tuesday?", " on the enterprise plan.", " before the Friday launch.",
    " for our Tokyo office.", " after upgrading to 4.2.", " in the Android app.",
    " via Terraform.", " — the docs contradict each other.", " for 300 seats.",
    " without downtime, please.", " during the free trial.", " for a HIPAA review.",
    " in our EU workspace.", " because the CLI hangs.", " ahead of the board meeting.",
]


def varied_requests(count: int, rng: random.Random) -> list[str]:
    """``count`` request texts, pairwise farther apart than repeated_request's 0.4 (in 4-grams,
    as ClickHouse's ``ngramDistanceUTF8`` counts them)."""
    candidates = [f"{o} {s}{e}" for o in _OPENINGS for s in _SUBJECTS for e in _ENDINGS]
    rng.shuffle(candidates)
    chosen: list[str] = []
    grams = [ngrams(REPEATED_REQUEST, 4)]
    for text in candidates:
        mine = ngrams(text, 4)
        if all(ngram_distance(mine, other) > 0.45 for other in grams):
            chosen.append(text)
            grams.append(mine)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"only {len(chosen)} distinct requests")


# ---------------------------------------------------------------- the plan

def build_plan(sessions: int, seed: int = 11) -> list[Session]:
    """Sessions with their scripted sub-agent runs; the proportions hold for any count ≥ 30."""
    rng = random.Random(seed)
    counters = collections.Counter[str]()
    if sessions < 30:  # a small capture: every gap's shape once, in a fixed order
        kinds = [("both", "code", "repeat", "poll")[i % 4] for i in range(sessions)]
        coder_failures = sessions
        # failures come first; no search (keeps the capture small)
        counters.update({"research": 1, "fetch": 1, "coder_run": 1, "small": 1})
    else:
        repeated = max(10, round(sessions * 0.08))
        polls = max(6, round(sessions * 0.053))
        coder_runs = max(20, round(sessions * 0.4))
        coder_failures = round(coder_runs * 0.43)
        both = coder_runs // 4
        kinds = ["repeat"] * repeated + ["poll"] * polls
        kinds += ["both"] * both + ["code"] * (coder_runs - both)
        kinds += ["research"] * (sessions - len(kinds))
        rng.shuffle(kinds)
    texts = iter(varied_requests(sum(kind != "repeat" for kind in kinds), rng))
    plan: list[Session] = []
    for index, kind in enumerate(kinds):
        request = REPEATED_REQUEST if kind == "repeat" else next(texts)
        session = Session(id=f"sess-{seed}-{index:04d}", request=request,
                          customer_id=f"cus_{rng.randrange(10**6):06d}",
                          unresolved=kind == "repeat")
        if kind in ("research", "both", "poll"):
            session.subruns.append(_research_run(request, kind == "poll", counters, rng))
        if kind in ("code", "both"):
            failing = counters["coder_run"] % 7 in (0, 2, 5)  # 3 of 7 ≈ 43 %
            if counters["coder_failed"] >= coder_failures:
                failing = False
            session.subruns.append(_code_run(request, failing, counters, rng))
        plan.append(session)
    return plan


def _research_run(request: str, poll: bool, counters: collections.Counter[str],
                  rng: random.Random) -> SubRun:
    topic = request.split(" ", 3)[-1].rstrip("?.")
    search = [Call("search_docs", {"query": topic})]
    turns: list[list[Call]] = [] if counters["small"] else [search]
    if poll:
        job = f"reindex-{rng.randrange(10**4):04d}"
        turns = [search] + [[Call("check_index", {"job_id": job})]] * (3 + counters["poll"] % 2)
        counters["poll"] += 1
        return SubRun(RESEARCHER, f"Find the docs for: {request}", turns,
                      f"The re-index job {job} is still pending; the docs are stale.")
    research = counters["research"]
    counters["research"] += 1
    if research % 10 < 6:  # fetch a page in 60 % of the runs, 30 % of fetches hit the legacy wiki
        fetches = counters["fetch"]
        counters["fetch"] += 1
        host = FLAKY_HOST if fetches % 10 in (1, 4, 7) else "docs.example.com"
        slug = "-".join(topic.lower().split()[:3]).replace("/", "")
        turns.append([Call("fetch_page", {"url": f"https://{host}/kb/{slug}-{fetches}"})])
    if research % 3 == 1:  # cite a source in a third of the runs, a third of those rate-limited
        cites = counters["cite"]
        counters["cite"] += 1
        prefix = "10.9999/" if cites % 3 == 0 else "10.1145/"
        turns.append([Call("cite_source", {"doi": f"{prefix}{3_000_000 + research * 17}"})])
    if research % 9 == 4:
        turns.append([Call("check_index", {"job_id": f"reindex-{rng.randrange(10**4):04d}"})])
    return SubRun(RESEARCHER, f"Find the docs for: {request}", turns,
                  f"Here is what the documentation says about {topic}.")


def _diff(lines: int, rng: random.Random) -> str:
    body = [f"{'+-'[rng.randrange(2)]}    value_{i} = compute(row[{i}], scale={rng.random():.3f})"
            for i in range(lines)]
    return "--- a/app/core.py\n+++ b/app/core.py\n@@ -1,9 +1,9 @@\n" + "\n".join(body)


def _code_run(request: str, failing: bool, counters: collections.Counter[str],
              rng: random.Random) -> SubRun:
    run = counters["coder_run"]
    counters["coder_run"] += 1
    module = f"app.{['billing', 'auth', 'search', 'exports', 'webhooks', 'sso'][run % 6]}"
    turns: list[list[Call]] = [[Call("run_tests", {"module": module})]]
    task = f"Patch the code for: {request}"
    if failing:
        counters["coder_failed"] += 1
        return SubRun(CODER, task, turns, "", fails=True)
    good = counters["coder_ok"]
    counters["coder_ok"] += 1
    if good % 2 == 0 and counters["large"] < 18:  # large diffs: every call times out
        counters["large"] += 1
        turns.append([Call("summarize_diff", {"diff": _diff(110 + rng.randrange(40), rng)})])
    turns.append([Call("summarize_diff", {"diff": _diff(4 + rng.randrange(20), rng)})])
    if good % 4 == 3:
        turns.append([Call("summarize_diff", {"diff": _diff(3 + rng.randrange(10), rng)})])
    if good % 3 != 2:  # CI quota in two thirds of the runs, over quota in ~40 % of those
        quotas = counters["quota"]
        counters["quota"] += 1
        project = ("legacy-" if quotas % 5 in (0, 3) else "svc-") + module.split(".")[1]
        turns.append([Call("quota_status", {"project": project})])
    return SubRun(CODER, task, turns, f"Patched {module}; tests pass.")


# ---------------------------------------------------------------- server, ledger, main

@dataclass
class ServerFiles:
    count: Path
    capture: Path | None


@contextmanager
def server_files(capture: bool) -> Iterator[ServerFiles]:
    with tempfile.TemporaryDirectory() as scratch:
        yield ServerFiles(Path(scratch) / "count",
                          Path(scratch) / "capture.json" if capture else None)


def server_parameters(files: ServerFiles) -> Any:
    """How the client launches the MCP server: this interpreter, stdio, OTLP env passed on."""
    from mcp import StdioServerParameters

    env = {key: value for key, value in os.environ.items()
           if key.startswith("OTEL_") or key in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.pop("OTEL_SERVICE_NAME", None)
    env["MCP_TOOLS_COUNT_FILE"] = str(files.count)
    if files.capture is not None:
        env["MCP_TOOLS_CAPTURE_FILE"] = str(files.capture)
    return StdioServerParameters(command=sys.executable, args=[str(SERVER_SCRIPT)], env=env)


def main(doc: str | None, instrument: Callable[[bool], Tracing],
         run_sessions: Callable[[list[Session], ServerFiles], Coroutine[Any, Any, dict[str, int]]],
         gaps: list[dict[str, str]]) -> None:
    """Run the plan under one MCP setup: ``instrument(capture)`` installs its tracing,
    ``run_sessions`` drives the agents against the server; then the ledger and the capture."""
    args = scenario_parser(doc).parse_args()
    started = time.monotonic()
    tracing = instrument(args.capture is not None)
    plan = build_plan(args.sessions)
    with server_files(args.capture is not None) as files:
        outcomes = asyncio.run(run_sessions(plan, files))
        spans = _finish(tracing, files, args.ledger, args.capture, gaps)
    print(f"{len(plan)} sessions {outcomes}, {spans} spans, "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr)


def _finish(tracing: Tracing, files: ServerFiles, ledger_path: Path, capture_path: Path | None,
            gaps: list[dict[str, str]]) -> int:
    """Flush, then write the capture (client + server spans) and the ledger; returns spans."""
    tracing.shutdown()
    if not files.count.exists():
        raise RuntimeError("the MCP server did not report its span count (killed before exit?)")
    spans = tracing.counter.count + int(files.count.read_text())
    if capture_path is not None and files.capture is not None:
        mine = otlp_request(tracing.captured())
        theirs = json.loads(files.capture.read_text() or "{}")
        write_capture(capture_path, {"resourceSpans": mine.get("resourceSpans", [])
                                     + theirs.get("resourceSpans", [])})
    write_ledger(ledger_path, spans, gaps, DELEGATIONS)
    return spans
