"""Span scenarios for the detector tests: for each detector a positive case and a noise case.

A positive case holds the pattern plus a healthy control; a noise case holds near misses that
must not be reported. Builders take a recorder and a service name, so all noise cases can share
one store as a mixed, healthy fleet. Times are relative to ``WINDOW_END`` (the end of the current
hour); the last hour before it is the "recent" window of ``error_spike``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from opentelemetry.trace import SpanKind

from analyzer.tests.spans import SpanRecorder, hours_ago

WINDOW_START = hours_ago(48)
WINDOW_END = hours_ago(-1)
BASE = hours_ago(30)  # where most scenarios put their spans: well inside the baseline
RECENT = hours_ago(0) + 60  # inside the recent hour

Builder = Callable[[SpanRecorder, str], None]


def _t(index: int, spacing: float = 120.0, base: float = BASE) -> float:
    return base + index * spacing


# --- tool_failure_hotspot ------------------------------------------------------------------------


def hotspot_positive(rec: SpanRecorder, service: str) -> None:
    for i in range(40):
        session = f"hs-{i % 8}"
        run = rec.agent_run("blogger", start=_t(i), duration=60, session=session, service=service)
        error = (
            f"PromptLayer pipeline {4800 + i} timed out after {30 + i % 3}s" if i % 10 < 3 else None
        )
        rec.tool_call(
            run,
            "write_article",
            start=_t(i) + 1,
            duration=31 if error else 5,
            agent="blogger",
            session=session,
            service=service,
            error=error,
            error_type="TimeoutError" if error else None,
        )
        rec.tool_call(
            run,
            "search",
            start=_t(i) + 40,
            duration=1,
            agent="blogger",
            session=session,
            service=service,
        )


def hotspot_noise(rec: SpanRecorder, service: str) -> None:
    for i in range(60):
        session = f"hn-{i % 10}"
        run = rec.agent_run("blogger", start=_t(i), duration=60, session=session, service=service)
        if i < 4:  # the same failure, but only four times
            error = f"pipeline {i} returned HTTP 500"
        elif i < 10:  # six failures, each different
            error = [
                "disk full",
                "bad gateway from cdn",
                "token expired",
                "schema mismatch",
                "quota exceeded for project",
                "unexpected EOF",
            ][i - 4]
        else:
            error = None
        rec.tool_call(
            run,
            "write_article",
            start=_t(i) + 1,
            duration=2,
            agent="blogger",
            session=session,
            service=service,
            error=error,
        )
    # 6 of 100 calls fail the same way: over 5%, but not beyond what any tool fails at anyway
    for i in range(100):
        rec.tool_call(
            None,
            "lookup",
            start=_t(i, 60),
            duration=1,
            agent="blogger",
            session=f"hl-{i % 10}",
            service=service,
            error="upstream answered 503" if i % 17 == 3 else None,
        )


# --- permission_blocked --------------------------------------------------------------------------


def permission_positive(rec: SpanRecorder, service: str) -> None:
    for i in range(15):
        session = f"pb-{i % 6}"
        run = rec.agent_run(
            "prometheus", start=_t(i), duration=30, session=session, service=service
        )
        rec.tool_call(
            run,
            "write",
            start=_t(i) + 1,
            duration=0.1,
            agent="prometheus",
            session=session,
            service=service,
            arguments={"path": f"src/module_{i}.ts", "content": "…"},
            outcome="blocked",
            blocked_reason="prometheus-md-only blocked",
            desired_capability="Write permission for src/" if i % 3 else None,
        )
        rec.tool_call(
            run,
            "write",
            start=_t(i) + 2,
            duration=0.1,
            agent="prometheus",
            session=session,
            service=service,
            arguments={"path": f"docs/requirements/r{i}.md"},
        )


def permission_noise(rec: SpanRecorder, service: str) -> None:
    for i in range(20):
        session = f"pn-{i % 5}"
        run = rec.agent_run(
            "prometheus", start=_t(i), duration=30, session=session, service=service
        )
        blocked = i < 2  # refused twice only
        rec.tool_call(
            run,
            "write",
            start=_t(i) + 1,
            duration=0.1,
            agent="prometheus",
            session=session,
            service=service,
            arguments={"path": f"src/m{i}.ts"},
            error="EACCES: permission denied" if blocked else None,
        )
        # a network refusal is not a permission refusal
        rec.tool_call(
            run,
            "fetch",
            start=_t(i) + 2,
            duration=0.1,
            agent="prometheus",
            session=session,
            service=service,
            error="connection refused by 10.0.0.4:443" if i < 3 else None,
        )


# --- timeout_input_correlation -------------------------------------------------------------------


def timeout_positive(rec: SpanRecorder, service: str) -> None:
    rng = random.Random(3)
    sizes = [rng.randint(100, 4800) for _ in range(420)] + [
        rng.randint(5200, 9000) for _ in range(15)
    ]
    for i, size in enumerate(sizes):
        timed_out = i >= 420 and i != 425  # 14 of the 15 large inputs
        rec.tool_call(
            None,
            "lsp_find_references",
            start=_t(i, 60),
            duration=30 if timed_out else 1 + size / 5000,
            agent="oracle",
            session=f"to-{i % 12}",
            service=service,
            input_size=size,
            input_unit="lines",
            error="LSP request timed out after 30s" if timed_out else None,
        )


def timeout_noise(rec: SpanRecorder, service: str) -> None:
    rng = random.Random(4)
    for i in range(200):
        size = rng.randint(100, 9000)
        timed_out = i % 67 == 5  # three timeouts, unrelated to size
        rec.tool_call(
            None,
            "lsp_find_references",
            start=_t(i, 60),
            duration=30 if timed_out else 1.0 + rng.random(),
            agent="oracle",
            session=f"tn-{i % 12}",
            service=service,
            input_size=size,
            input_unit="lines",
            error="LSP request timed out after 30s" if timed_out else None,
        )
    for i in range(200):  # reading takes longer for longer files, in proportion: no cliff
        size = rng.randint(100, 9000)
        rec.tool_call(
            None,
            "read_file",
            start=_t(i, 60) + 30,
            duration=size / 1000 * (0.9 + 0.2 * rng.random()),
            agent="oracle",
            session=f"tn-{i % 12}",
            service=service,
            input_size=size,
            input_unit="lines",
        )


# --- delegation_failure --------------------------------------------------------------------------


def delegation_positive(rec: SpanRecorder, service: str) -> None:
    for i in range(40):
        session = f"dp-{i % 8}"
        run = rec.agent_run("sisyphus", start=_t(i), duration=120, session=session, service=service)
        target = "explore" if i % 2 == 0 else "oracle"
        fails = (target == "explore" and i % 4 == 0) or (target == "oracle" and i == 1)
        rec.delegation(
            run,
            "sisyphus",
            target,
            start=_t(i) + 1,
            duration=60,
            category="deep-research",
            session=session,
            service=service,
            error=f"context window exceeded at {100_000 + i} tokens" if fails else None,
        )


def delegation_noise(rec: SpanRecorder, service: str) -> None:
    for i in range(30):
        session = f"dn-{i % 6}"
        run = rec.agent_run("sisyphus", start=_t(i), duration=120, session=session, service=service)
        rec.delegation(
            run,
            "sisyphus",
            "explore",
            start=_t(i) + 1,
            duration=60,
            category="quick",
            session=session,
            service=service,
            error="subagent crashed" if i in (3, 17) else None,
        )
    for i in range(25):
        session = f"dm-{i % 7}"
        run = rec.agent_run("sisyphus", start=_t(i) + 60, duration=120, session=session,
                            service=service)
        rec.delegation(
            run,
            "sisyphus",
            "librarian",
            start=_t(i) + 61,
            duration=30,
            category="docs",
            session=session,
            service=service,
            error="librarian found nothing" if i % 5 == 2 else None,
        )


# --- retry_loop ----------------------------------------------------------------------------------


def retry_positive(rec: SpanRecorder, service: str) -> None:
    for i in range(6):
        session = f"rp-{i}"
        run = rec.agent_run("writer", start=_t(i), duration=120, session=session, service=service)
        looping = i < 3
        for k in range(4):
            query = "latest gpu prices" if looping else f"gpu prices page {k}"
            rec.tool_call(
                run,
                "search",
                start=_t(i) + 1 + k * 10,
                duration=2,
                agent="writer",
                session=session,
                service=service,
                arguments={"q": query},
                error="upstream returned no results" if looping else None,
            )
            rec.llm_call(
                run,
                start=_t(i) + 4 + k * 10,
                duration=1,
                agent="writer",
                session=session,
                service=service,
                input_tokens=900,
                output_tokens=100,
            )


def retry_noise(rec: SpanRecorder, service: str) -> None:
    for i in range(10):
        session = f"rn-{i}"
        run = rec.agent_run("writer", start=_t(i), duration=120, session=session, service=service)
        for k in range(2):  # an identical retry once is normal
            rec.tool_call(
                run,
                "search",
                start=_t(i) + 1 + k,
                duration=1,
                agent="writer",
                session=session,
                service=service,
                arguments={"q": "same"},
            )
        for k in range(5):  # polling with changing arguments is not a loop
            rec.tool_call(
                run,
                "job_status",
                start=_t(i) + 10 + k,
                duration=1,
                agent="writer",
                session=session,
                service=service,
                arguments={"job": "j1", "poll": k},
            )
    for agent, loops in (("scraper", 2), ("crawler", 4)):  # loops in 300 traces: too few
        for i in range(300):
            session = f"rs-{agent}-{i % 30}"
            run = rec.agent_run(agent, start=_t(i, 30), duration=20, session=session,
                                service=service)
            for k in range(3 if i < loops else 1):
                rec.tool_call(
                    run,
                    "fetch",
                    start=_t(i, 30) + 1 + k,
                    duration=1,
                    agent=agent,
                    session=session,
                    service=service,
                    arguments={"url": f"https://example.org/{i}"},
                )


# --- unused_tool ---------------------------------------------------------------------------------


def unused_positive(rec: SpanRecorder, service: str) -> None:
    for i in range(30):
        session = f"up-{i % 6}"
        run = rec.agent_run("writer", start=_t(i), duration=60, session=session, service=service)
        rec.llm_call(
            run,
            start=_t(i) + 1,
            duration=1,
            agent="writer",
            session=session,
            service=service,
            input_tokens=500,
            output_tokens=50,
            offered_tools=["search", "inject_links"],
        )
        rec.tool_call(
            run,
            "search",
            start=_t(i) + 2,
            duration=1,
            agent="writer",
            session=session,
            service=service,
        )


def unused_noise(rec: SpanRecorder, service: str) -> None:
    for i in range(30):
        session = f"un-{i % 6}"
        run = rec.agent_run("writer", start=_t(i), duration=60, session=session, service=service)
        offered = ["search", "cite"] + (["rare_tool"] if i < 10 else [])  # offered 10× only
        rec.llm_call(
            run,
            start=_t(i) + 1,
            duration=1,
            agent="writer",
            session=session,
            service=service,
            input_tokens=500,
            output_tokens=50,
            offered_tools=offered,
        )
        rec.tool_call(
            run,
            "search",
            start=_t(i) + 2,
            duration=1,
            agent="writer",
            session=session,
            service=service,
        )
        if i % 3 == 0:
            rec.tool_call(
                run,
                "cite",
                start=_t(i) + 3,
                duration=1,
                agent="writer",
                session=session,
                service=service,
            )


# --- repeated_request ----------------------------------------------------------------------------

_PDF_ASKS = [
    "How do I export the monthly report to PDF?",
    "how do i export the monthly report to pdf",
    "How can I export the monthly report as PDF?",
    "Export the monthly report to PDF please",
    "how do I export my monthly report to PDF?",
]
_DISTINCT_ASKS = [
    "Summarize yesterday's standup notes",
    "Book a meeting room for Friday",
    "What is our refund policy for annual plans?",
    "Draft a reply to the Acme escalation",
    "Translate the onboarding guide into German",
    "Find the invoice for order 7731",
    "Schedule the quarterly security review",
    "List open pull requests in the billing repo",
    "Compare last month's cloud spend with budget",
    "Create a checklist for the office move",
    "Explain the difference between our two pricing tiers",
    "Order new laptops for the interns",
    "Rename the staging database",
    "Who owns the payments service?",
    "Write release notes for version 2.3",
    "Cancel my Thursday dentist appointment",
    "Plan a team offsite in Lisbon",
    "Check the status of ticket SUP-4411",
    "Set up a weekly digest of support tickets",
    "Reset the password for the shared inbox",
]


def repeated_positive(rec: SpanRecorder, service: str) -> None:
    for i, ask in enumerate(_PDF_ASKS):
        rec.agent_run(
            "assistant",
            start=_t(i, 3600),
            duration=30,
            session=f"rq-{i}",
            task=ask,
            service=service,
            error="no export tool available" if i < 4 else None,
        )
    for i, ask in enumerate(_DISTINCT_ASKS):
        rec.agent_run(
            "assistant",
            start=_t(i, 600) + 30,
            duration=30,
            session=f"rd-{i}",
            task=ask,
            service=service,
        )


def repeated_noise(rec: SpanRecorder, service: str) -> None:
    for i, ask in enumerate(_DISTINCT_ASKS):
        rec.agent_run(
            "assistant",
            start=_t(i, 600),
            duration=30,
            session=f"rn-{i}",
            task=ask,
            service=service,
            error="tool crashed" if i % 5 == 0 else None,
        )
    for i in range(2):  # the same ask in two sessions only
        rec.agent_run(
            "assistant",
            start=_t(i, 900) + 60,
            duration=30,
            session=f"rn2-{i}",
            task=_PDF_ASKS[0],
            service=service,
            error="no export tool available",
        )
    for i in range(25):  # popular and resolved every time: how people use it, not a gap
        rec.agent_run(
            "assistant",
            start=_t(i, 700) + 90,
            duration=30,
            session=f"rn3-{i}",
            user=f"u{i % 7}",
            task="Summarize my unread email",
            service=service,
        )
    for i in range(6):  # a sub-agent's task is its caller's wording, not a user's request
        root = rec.agent_run(
            "assistant",
            start=_t(i, 800) + 150,
            duration=30,
            session=f"rn4-{i}",
            task=f"Plan the team offsite number {i} with a budget",
            service=service,
        )
        rec.agent_run(
            "planner",
            start=_t(i, 800) + 151,
            duration=10,
            parent=root,
            session=f"rn4-{i}",
            task="find venues for the offsite",
            service=service,
            error="venue search failed",
        )


# --- cost_waste ----------------------------------------------------------------------------------


def cost_positive(rec: SpanRecorder, service: str) -> None:
    for i in range(20):
        session = f"cp-{i % 10}"
        failed = i % 10 >= 7  # 6 failed runs that burn 6× the tokens
        run = rec.agent_run(
            "researcher",
            start=_t(i),
            duration=90,
            session=session,
            service=service,
            error="gave up after 12 turns" if failed else None,
        )
        turns = 6 if failed else 1
        for k in range(turns):
            rec.llm_call(
                run,
                start=_t(i) + 1 + k,
                duration=1,
                agent="researcher",
                session=session,
                service=service,
                input_tokens=4500,
                output_tokens=500,
            )
    for i in range(20):  # a healthy agent next to it
        run = rec.agent_run(
            "helper", start=_t(i) + 60, duration=10, session=f"ch-{i}", service=service
        )
        rec.llm_call(
            run,
            start=_t(i) + 61,
            duration=1,
            agent="helper",
            service=service,
            input_tokens=4500,
            output_tokens=500,
        )


def cost_noise(rec: SpanRecorder, service: str) -> None:
    rng = random.Random(5)
    for i in range(20):
        run = rec.agent_run(
            "researcher",
            start=_t(i),
            duration=90,
            session=f"cn-{i % 10}",
            service=service,
            error="user cancelled" if i == 4 else None,
        )
        rec.llm_call(
            run,
            start=_t(i) + 1,
            duration=1,
            agent="researcher",
            service=service,
            input_tokens=4000 + rng.randint(0, 1000),
            output_tokens=500,
        )
    for i in range(20):
        failed = i % 5 < 2  # 40% of the runs fail, at the cost of a successful one
        run = rec.agent_run(
            "summarizer",
            start=_t(i) + 30,
            duration=20,
            session=f"cs-{i % 10}",
            service=service,
            error="upstream model overloaded" if failed else None,
        )
        rec.llm_call(
            run,
            start=_t(i) + 31,
            duration=1,
            agent="summarizer",
            service=service,
            input_tokens=4500 + rng.randint(0, 500),
            output_tokens=500,
        )


# --- version_regression --------------------------------------------------------------------------


def _versioned_runs(
    rec: SpanRecorder, service: str, failures: tuple[int, int], prefix: str
) -> None:
    for phase, (version, failed) in enumerate(zip(("p1", "p2"), failures, strict=True)):
        for i in range(100):
            start = _t(i, 60, BASE + phase * 8 * 3600)
            rec.agent_run(
                "planner",
                start=start,
                duration=20,
                session=f"{prefix}{phase}-{i % 20}",
                service=service,
                prompt_version=version,
                error="plan rejected by validator" if i < failed else None,
            )


def version_positive(rec: SpanRecorder, service: str) -> None:
    _versioned_runs(rec, service, (3, 25), "vp")


def version_noise(rec: SpanRecorder, service: str) -> None:
    _versioned_runs(rec, service, (4, 6), "vn")
    for i in range(120):
        start, session = _t(i, 60, BASE + 20 * 3600), f"vd-{i % 20}"
        root = rec.agent_run("lead", start=start, duration=30, session=session,
                             service=service, version="1.4.0")
        delegation = rec.span(
            "invoke_agent coder",
            start=start + 1,
            duration=20,
            kind=SpanKind.CLIENT,
            parent=root,
            service=service,
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "coder",
                "gen_ai.caller.name": "lead",
                "gen_ai.conversation.id": session,
                "gapwatch.agent.version": "1.4.0",  # the caller's version, stamped by it
            },
        )
        run = rec.agent_run("coder", start=start + 2, duration=18, session=session,
                            service=service, version="0.8.2", parent=delegation,
                            error="tests failed" if i % 6 == 0 else None)
        rec.tool_call(run, "run_tests", start=start + 3, duration=5, agent="coder",
                      session=session, service=service, version="0.8.2")


# --- error_spike ---------------------------------------------------------------------------------


def _fetch_traffic(
    rec: SpanRecorder, service: str, baseline_errors: int, recent_errors: int, prefix: str
) -> None:
    # baseline failures are varied (no single hotspot); the recent ones share one new error
    varied = [
        "upstream 503",
        "dns lookup failed",
        "reset by peer",
        "bad certificate chain",
        "proxy said no",
        "empty body",
    ]
    for i in range(200):
        rec.tool_call(
            None,
            "fetch",
            start=_t(i, 400, hours_ago(24)),
            duration=1,
            agent="crawler",
            session=f"{prefix}b-{i % 20}",
            service=service,
            error=varied[i % len(varied)] if i < baseline_errors else None,
        )
    for i in range(30):
        rec.tool_call(
            None,
            "fetch",
            start=RECENT + i * 10,
            duration=1,
            agent="crawler",
            session=f"{prefix}r-{i % 6}",
            service=service,
            error=f"TLS handshake failed with cdn-{i % 3}" if i < recent_errors else None,
        )


def spike_positive(rec: SpanRecorder, service: str) -> None:
    _fetch_traffic(rec, service, baseline_errors=2, recent_errors=12, prefix="sp")


def spike_noise(rec: SpanRecorder, service: str) -> None:
    # 5/30 recently against 12/200 before: higher, but not three times the baseline
    _fetch_traffic(rec, service, baseline_errors=12, recent_errors=5, prefix="sn")


# --- soft_failure --------------------------------------------------------------------------------


def soft_positive(rec: SpanRecorder, service: str) -> None:
    for i in range(30):
        soft = i % 4 == 0 and i < 32
        rec.tool_call(
            None,
            "fetch_page",
            start=_t(i),
            duration=1,
            agent="browser",
            session=f"sf-{i % 5}",
            service=service,
            result={"error": f"page '/docs/{i}' not found"} if soft else {"html": "<p/>"},
        )


def soft_noise(rec: SpanRecorder, service: str) -> None:
    for i in range(30):
        soft = i in (3, 11, 20)  # three only
        rec.tool_call(
            None,
            "fetch_page",
            start=_t(i),
            duration=1,
            agent="browser",
            session=f"sn-{i % 5}",
            service=service,
            result={"error": "page not found"} if soft else {"error": None, "html": "<p/>"},
        )
    for i in range(60):
        rec.tool_call(
            None,
            "search_docs",
            start=_t(i, 60) + 20,
            duration=1,
            agent="browser",
            session=f"sd-{i % 6}",
            service=service,
            result={"error": "index warming up"} if i % 12 == 5 else {"hits": []},
        )


# --- negative_feedback ---------------------------------------------------------------------------


def feedback_positive(rec: SpanRecorder, service: str) -> None:
    for i in range(20):
        negative = i % 20 < 9
        rec.agent_run(
            "writer",
            start=_t(i),
            duration=30,
            session=f"fp-{i % 6}",
            service=service,
            feedback=-1.0 if negative else 1.0,
            corrections=1 if i in (1, 2, 12) else 0,
        )


def feedback_noise(rec: SpanRecorder, service: str) -> None:
    for i in range(20):
        stars = 2.0 if i in (5, 15) else 4.0 + (i % 2)  # 1–5 stars, mostly good
        rec.agent_run(
            "writer",
            start=_t(i),
            duration=30,
            session=f"fn-{i % 6}",
            service=service,
            feedback=stars,
        )
    for i in range(20):
        rec.agent_run(
            "editor",
            start=_t(i) + 40,
            duration=30,
            session=f"fe-{i % 6}",
            service=service,
            feedback=-1.0 if i % 10 in (1, 4, 7) else 1.0,
        )


SCENARIOS: dict[str, tuple[Builder, Builder]] = {
    "tool_failure_hotspot": (hotspot_positive, hotspot_noise),
    "permission_blocked": (permission_positive, permission_noise),
    "timeout_input_correlation": (timeout_positive, timeout_noise),
    "delegation_failure": (delegation_positive, delegation_noise),
    "retry_loop": (retry_positive, retry_noise),
    "unused_tool": (unused_positive, unused_noise),
    "repeated_request": (repeated_positive, repeated_noise),
    "cost_waste": (cost_positive, cost_noise),
    "version_regression": (version_positive, version_noise),
    "error_spike": (spike_positive, spike_noise),
    "soft_failure": (soft_positive, soft_noise),
    "negative_feedback": (feedback_positive, feedback_noise),
}
