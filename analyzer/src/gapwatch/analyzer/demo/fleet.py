"""A simulated multi-agent fleet with injected capability gaps, emitted as OpenTelemetry spans.

    fleet = Fleet(FleetOptions(sessions=300, seed=7), tracer_for=lambda service: tracer)
    stats = fleet.run()

An orchestrator (``planner``) delegates to sub-agents whose tools have realistic gaps, each
one aimed at a gapwatch detector, over ``days`` of history ending now:

* ``coder.lsp_find_references`` times out above ~5,000 lines (timeout_input_correlation)
* ``coder.write_file`` is blocked by policy for ``src/`` (permission_blocked)
* ``summarizer`` fails a third of its delegations (delegation_failure) and gets poor ratings
  and corrections (negative_feedback)
* ``coder.run_tests`` is retried with identical arguments up to four times (retry_loop)
* ``coder.format_code`` is offered to the model but never called (unused_tool)
* users keep asking the planner for a PDF export it cannot do (repeated_request)
* ``reviewer`` 2.0, shipped three days ago, breaks ``post_review_comment`` (version_regression)
* ``researcher.web_search`` returns error payloads with an OK status (soft_failure)
* ``researcher.fetch_page`` fails often (tool_failure_hotspot)
* ``coder`` pulls whole files into its context on one run in ten (cost_waste)

plus background noise: a second service, transient errors and latency jitter on every tool,
routine requests that recur and succeed. :data:`LEDGER` lists the injected gaps: an analysis of
the fleet should propose exactly these. Spans carry explicit timestamps, so a week of history is
emitted in seconds. Attribute names come from ``gapwatch.semconv``; everything is seeded.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opentelemetry import trace
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from gapwatch.semconv import attributes as A
from gapwatch.semconv import values as V

ORCHESTRATOR_SERVICE = "fleet-orchestrator"
SUPPORT_SERVICE = "support-bot"
NS = 1_000_000_000
MS = 1_000_000
REGRESSION_DAYS = 3.0  # reviewer 2.0 went live this long before "now"
PDF_REQUEST = "Export the weekly report as a PDF and email it to me"
PDF_FOLLOW_UPS = (
    "Can you export the weekly report as a PDF and email it to me?",
    "Please export the weekly report as PDF and email it to me",
    "Export the weekly report to PDF and send it to me by email",
)
ROUTINE_REQUESTS = (
    "Fix the failing login test",
    "Summarize yesterday's incidents",
    "Add pagination to the orders endpoint",
    "Review the pull request for the billing module",
    "Find where the retry policy is configured",
    "Update the README install section",
    "Explain why the nightly job is slow",
)
CODER_TOOLS = ("read_file", "lsp_find_references", "write_file", "run_tests", "format_code")
RESEARCHER_TOOLS = ("web_search", "fetch_page")
REVIEWER_TOOLS = ("read_diff", "post_review_comment")
SUMMARIZER_TOOLS = ("read_file",)


@dataclass(frozen=True)
class InjectedGap:
    """One gap the fleet injects: the detector that should find it and the subject it names."""

    detector: str
    agent: str
    tool: str = ""
    target_agent: str = ""
    service: str = ORCHESTRATOR_SERVICE
    threshold: float = 0.0  # timeout_input_correlation: the input size above which it times out

    def matches(self, detector: str, subject: Mapping[str, str]) -> bool:
        """Whether a proposal (its detector and subject) reports this gap."""
        return (
            detector == self.detector
            and subject.get("service", "") == self.service
            and subject.get("agent", "") == self.agent
            and (not self.tool or subject.get("tool", "") == self.tool)
            and (not self.target_agent or subject.get("target_agent", "") == self.target_agent)
        )


LEDGER: tuple[InjectedGap, ...] = (
    InjectedGap("timeout_input_correlation", "coder", tool="lsp_find_references"),
    InjectedGap("permission_blocked", "coder", tool="write_file"),
    InjectedGap("delegation_failure", "planner", target_agent="summarizer"),
    InjectedGap("negative_feedback", "summarizer"),
    InjectedGap("retry_loop", "coder", tool="run_tests"),
    InjectedGap("unused_tool", "coder", tool="format_code"),
    InjectedGap("repeated_request", "planner"),
    InjectedGap("version_regression", "reviewer"),
    InjectedGap("soft_failure", "researcher", tool="web_search"),
    InjectedGap("tool_failure_hotspot", "researcher", tool="fetch_page"),
    InjectedGap("cost_waste", "coder"),
)


@dataclass(frozen=True)
class FleetOptions:
    sessions: int = 500
    seed: int = 7
    days: float = 14.0
    now: datetime | None = None  # end of the simulated history; defaults to the current time


@dataclass
class FleetStats:
    sessions: int = 0
    spans: int = 0
    by_gap: dict[str, int] = field(default_factory=dict)

    def count(self, gap: str) -> None:
        self.by_gap[gap] = self.by_gap.get(gap, 0) + 1


class SeededIdGenerator(IdGenerator):
    """Trace and span ids from a seeded generator, so a rerun produces the same ids."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed ^ 0x5EED)

    def generate_span_id(self) -> int:
        return self._rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._rng.getrandbits(128) or 1


class Fleet:
    """Runs the sessions; ``tracer_for(service)`` gives the tracer of each simulated service."""

    def __init__(self, options: FleetOptions, tracer_for: Callable[[str], Tracer]) -> None:
        self.options = options
        self._tracer_for = tracer_for
        self._rng = random.Random(options.seed)
        self._now = options.now or datetime.now(UTC)
        self.stats = FleetStats()

    def run(self, progress: Callable[[int, int], None] | None = None) -> FleetStats:
        """Emit every session; ``progress(done, total)`` is called every 50 sessions."""
        total = self.options.sessions
        span_s = self.options.days * 86_400
        end_ns = int(self._now.timestamp() * NS) - 120 * NS  # leave room for the last session
        starts = sorted(
            end_ns - int(self._rng.random() * span_s * NS) for _ in range(total)
        )
        for index, start in enumerate(starts):
            if self._rng.random() < 0.15:
                self._support_session(index, start)
            else:
                self._fleet_session(index, start)
            self.stats.sessions += 1
            if progress is not None and (index + 1) % 50 == 0:
                progress(index + 1, total)
        if progress is not None:
            progress(total, total)
        return self.stats

    # --- sessions ---------------------------------------------------------------------------

    def _fleet_session(self, index: int, start: int) -> None:
        rng = self._rng
        tracer = self._tracer_for(ORCHESTRATOR_SERVICE)
        session = f"s-{self.options.seed}-{index:05d}"
        user = f"user-{rng.randrange(40):02d}"
        if rng.random() < 0.08:
            # no agent can produce a PDF: the planner apologises, and most users rephrase the
            # ask in the same session a minute later, to the same answer
            self.stats.count("repeated_request")
            clock = self._planner_run(tracer, session, user, PDF_REQUEST, start, plan=False)
            if rng.random() < 0.7:
                follow_up = rng.choice(PDF_FOLLOW_UPS)
                self._planner_run(tracer, session, user, follow_up,
                                  clock + rng.randint(30, 90) * NS, plan=False)
            return
        # routine work differs per session (its own ticket) and is done every time
        request = f"{rng.choice(ROUTINE_REQUESTS)} (ticket {rng.randrange(10_000, 99_999)})"
        self._planner_run(tracer, session, user, request, start, plan=True)

    def _planner_run(self, tracer: Tracer, session: str, user: str, request: str, start: int,
                     *, plan: bool) -> int:
        """One user-facing run of the planner (its own trace); returns when it ended."""
        rng = self._rng
        root = self._start(tracer, "invoke_agent planner", start, {
            A.GEN_AI_OPERATION_NAME: V.OP_INVOKE_AGENT,
            A.GEN_AI_AGENT_NAME: "planner",
            A.GEN_AI_AGENT_VERSION: "1.4.0",
            A.GAPWATCH_AGENT_VERSION: "1.4.0",
            A.GAPWATCH_PROMPT_VERSION: "planner-p7",
            A.GEN_AI_CONVERSATION_ID: session,
            A.USER_ID: user,
            A.GAPWATCH_TASK: request,
        })
        clock = start + rng.randint(5, 40) * MS
        clock = self._chat(tracer, root, "planner", "1.4.0", session, clock, 1800, 300)
        if plan:
            for target in self._plan(request):
                clock = self._delegate(tracer, root, target, session, clock)
        end = clock + rng.randint(10, 200) * MS
        self._end(root, end, "ok")
        return end

    def _support_session(self, index: int, start: int) -> None:
        """Background noise: a healthy triage bot in another service."""
        rng = self._rng
        tracer = self._tracer_for(SUPPORT_SERVICE)
        session = f"t-{self.options.seed}-{index:05d}"
        root = self._start(tracer, "invoke_agent triage", start, {
            A.GEN_AI_OPERATION_NAME: V.OP_INVOKE_AGENT,
            A.GEN_AI_AGENT_NAME: "triage",
            A.GAPWATCH_AGENT_VERSION: "3.1.0",
            A.GEN_AI_CONVERSATION_ID: session,
        })
        clock = self._chat(tracer, root, "triage", "3.1.0", session, start + 5 * MS, 900, 120)
        for tool in ("lookup_ticket", "search_kb", "lookup_ticket"):
            outcome = "error" if rng.random() < 0.01 else "ok"
            clock = self._tool(tracer, root, "triage", "3.1.0", session, tool, clock,
                               rng.randint(40, 300), outcome, error="ConnectionResetError: peer "
                               f"closed connection after {rng.randint(1, 900)} ms")
        self._end(root, clock + 5 * MS, "ok")

    def _plan(self, request: str) -> list[str]:
        rng = self._rng
        if "Review" in request:
            return ["reviewer", "summarizer"]
        if "Summarize" in request or "Explain" in request:
            return ["researcher", "summarizer"]
        choices = ["coder", "researcher"] + (["reviewer"] if rng.random() < 0.6 else [])
        if rng.random() < 0.35:
            choices.append("summarizer")
        return choices

    # --- delegations and sub-agents -----------------------------------------------------------

    def _delegate(self, tracer: Tracer, root: Span, target: str, session: str, clock: int) -> int:
        rng = self._rng
        category = {"coder": "code", "researcher": "research", "reviewer": "review",
                    "summarizer": "summarize"}[target]
        version = self._version(target, clock)
        span = self._start(tracer, f"invoke_agent {target}", clock, {
            A.GEN_AI_OPERATION_NAME: V.OP_INVOKE_AGENT,
            A.GEN_AI_AGENT_NAME: target,
            A.GEN_AI_AGENT_VERSION: version,
            A.GEN_AI_CALLER_TYPE: V.CALLER_AGENT,
            A.GEN_AI_CALLER_NAME: "planner",
            A.GAPWATCH_DELEGATION_CATEGORY: category,
            A.GEN_AI_CONVERSATION_ID: session,
        }, parent=root, kind=SpanKind.CLIENT)
        agent = self._start(tracer, f"invoke_agent {target}", clock + 2 * MS, {
            A.GEN_AI_OPERATION_NAME: V.OP_INVOKE_AGENT,
            A.GEN_AI_AGENT_NAME: target,
            A.GAPWATCH_AGENT_VERSION: version,
            A.GEN_AI_CONVERSATION_ID: session,
            A.GEN_AI_TOOL_DEFINITIONS: json.dumps(
                [{"type": "function", "name": name} for name in _TOOLS[target]]
            ),
        }, parent=span)
        tokens_in = 2500
        if target == "coder" and rng.random() < 0.1:
            # on large repositories the coder pulls whole files into its context
            self.stats.count("cost_waste")
            tokens_in = 25_000
        inner = self._chat(tracer, agent, target, version, session, clock + 3 * MS, tokens_in, 400)
        outcome = "ok"
        if target == "coder":
            inner = self._coder(tracer, agent, version, session, inner)
        elif target == "researcher":
            inner = self._researcher(tracer, agent, version, session, inner)
        elif target == "reviewer":
            inner = self._reviewer(tracer, agent, version, session, inner)
        else:
            inner, outcome = self._summarizer(tracer, agent, version, session, inner)
        if outcome != "ok":
            self.stats.count("delegation_failure")
        self._end(agent, inner + MS, outcome, error=_SUMMARIZER_ERRORS.get(outcome, ""),
                  error_type="UpstreamOverloaded" if outcome == "error" else "")
        self._end(span, inner + 2 * MS, outcome, error=_SUMMARIZER_ERRORS.get(outcome, ""),
                  error_type="UpstreamOverloaded" if outcome == "error" else "")
        return inner + rng.randint(5, 30) * MS

    def _coder(self, tracer: Tracer, agent: Span, version: str, session: str, clock: int) -> int:
        rng = self._rng
        call = self._tool
        lines = int(min(40_000, rng.lognormvariate(7.6, 1.0)))  # median ~2,000 lines
        clock = call(tracer, agent, "coder", version, session, "read_file", clock,
                     rng.randint(5, 60), self._noise(), size=(lines, "lines"))
        if lines > 5_000 and rng.random() < 0.9:
            self.stats.count("timeout_input_correlation")
            clock = call(tracer, agent, "coder", version, session, "lsp_find_references", clock,
                         30_000, "timeout", size=(lines, "lines"),
                         error=f"lsp request timed out after 30000 ms ({lines} lines)")
        else:
            clock = call(tracer, agent, "coder", version, session, "lsp_find_references", clock,
                         int(lines * 1.5) + rng.randint(50, 400), self._noise(),
                         size=(lines, "lines"))
        if rng.random() < 0.45:
            self.stats.count("permission_blocked")
            path = f"src/{rng.choice(['api', 'billing', 'auth'])}/{rng.randint(1, 99)}.py"
            clock = call(tracer, agent, "coder", version, session, "write_file", clock, 3,
                         "blocked", error=f"write to {path} blocked by policy docs-only",
                         blocked=("policy docs-only: coder may write only under docs/",
                                  "write access to src/"))
        else:
            clock = call(tracer, agent, "coder", version, session, "write_file", clock,
                         rng.randint(5, 40), self._noise())
        if rng.random() < 0.2:
            self.stats.count("retry_loop")
            arguments = json.dumps({"path": "tests/test_api.py", "k": "test_create_order"})
            for attempt in range(1, 5):
                clock = call(tracer, agent, "coder", version, session, "run_tests", clock,
                             rng.randint(2_000, 4_000), "error", attempt=attempt,
                             arguments=arguments, error="AssertionError: expected status 201 "
                             "but got 500 in tests/test_api.py::test_create_order")
        else:
            clock = call(tracer, agent, "coder", version, session, "run_tests", clock,
                         rng.randint(1_500, 5_000), self._noise())
        return clock

    def _researcher(
        self, tracer: Tracer, agent: Span, version: str, session: str, clock: int
    ) -> int:
        rng = self._rng
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.3:
                self.stats.count("soft_failure")
                clock = self._tool(tracer, agent, "researcher", version, session, "web_search",
                                   clock, rng.randint(300, 900), "soft_error",
                                   result='{"error": "search quota exceeded", "results": []}')
            else:
                clock = self._tool(tracer, agent, "researcher", version, session, "web_search",
                                   clock, rng.randint(300, 1_200), self._noise())
        failed = rng.random() < 0.3
        if failed:
            self.stats.count("tool_failure_hotspot")
        clock = self._tool(tracer, agent, "researcher", version, session, "fetch_page", clock,
                           rng.randint(200, 2_000), "error" if failed else self._noise(),
                           error=f"HTTPError: 403 Forbidden for https://example.org/doc/"
                           f"{rng.randint(1, 500)}", error_type="HTTPError")
        return clock

    def _reviewer(
        self, tracer: Tracer, agent: Span, version: str, session: str, clock: int
    ) -> int:
        rng = self._rng
        clock = self._tool(tracer, agent, "reviewer", version, session, "read_diff", clock,
                           rng.randint(20, 200), self._noise())
        broken = version == "2.0.0" and rng.random() < 0.8
        if broken:
            self.stats.count("version_regression")
        clock = self._tool(tracer, agent, "reviewer", version, session, "post_review_comment",
                           clock, rng.randint(100, 400), "error" if broken else self._noise(),
                           error=f"422 Unprocessable Entity: line {rng.randint(1, 900)} is "
                           "outside the diff", error_type="HTTPError")
        return clock

    def _summarizer(
        self, tracer: Tracer, agent: Span, version: str, session: str, clock: int
    ) -> tuple[int, str]:
        rng = self._rng
        clock = self._tool(tracer, agent, "summarizer", version, session, "read_file", clock,
                           rng.randint(5, 50), self._noise(), size=(rng.randint(50, 800), "lines"))
        roll = rng.random()
        outcome = "error" if roll < 0.25 else "timeout" if roll < 0.35 else "ok"
        if outcome == "ok" and rng.random() < 0.5:
            self.stats.count("negative_feedback")
            agent.add_event("gapwatch.feedback", {
                A.FEEDBACK_RATING: -1.0,  # thumbs down on a −1…1 scale
                A.FEEDBACK_COMMENT: "the summary left out the root cause",
            }, timestamp=clock)
            if rng.random() < 0.5:
                agent.add_event(A.EVENT_USER_CORRECTION, {
                    A.CORRECTION_DESCRIPTION: "user rewrote the summary's conclusion",
                }, timestamp=clock + MS)
        return clock + (20_000 if outcome == "timeout" else rng.randint(200, 900)) * MS, outcome

    # --- span helpers -----------------------------------------------------------------------

    def _version(self, agent: str, at_ns: int) -> str:
        if agent == "reviewer":
            boundary = self._now - timedelta(days=REGRESSION_DAYS)
            return "2.0.0" if at_ns >= int(boundary.timestamp() * NS) else "1.9.0"
        return {"coder": "0.8.2", "researcher": "1.1.0", "summarizer": "0.3.0"}.get(agent, "1.0")

    def _noise(self) -> str:
        return "error" if self._rng.random() < 0.02 else "ok"

    def _chat(self, tracer: Tracer, parent: Span, agent: str, version: str, session: str,
              clock: int, tokens_in: int, tokens_out: int) -> int:
        rng = self._rng
        duration = rng.randint(300, 2_500) * MS
        span = self._start(tracer, "chat gpt-4o-mini", clock, {
            A.GEN_AI_OPERATION_NAME: V.OP_CHAT,
            A.GEN_AI_PROVIDER_NAME: "openai",
            A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            A.GEN_AI_AGENT_NAME: agent,
            A.GAPWATCH_AGENT_VERSION: version,
            A.GEN_AI_CONVERSATION_ID: session,
            A.GEN_AI_USAGE_INPUT_TOKENS: int(tokens_in * rng.uniform(0.5, 1.5)),
            A.GEN_AI_USAGE_OUTPUT_TOKENS: int(tokens_out * rng.uniform(0.5, 1.5)),
        }, parent=parent, kind=SpanKind.CLIENT)
        self._end(span, clock + duration, "ok")
        return clock + duration

    def _tool(self, tracer: Tracer, parent: Span, agent: str, version: str, session: str,
              tool: str, clock: int, duration_ms: int, outcome: str, *,
              size: tuple[int, str] | None = None, attempt: int = 1, arguments: str = "",
              error: str = "", error_type: str = "", result: str = "",
              blocked: tuple[str, str] | None = None) -> int:
        attributes: dict[str, str | int | float] = {
            A.GEN_AI_OPERATION_NAME: V.OP_EXECUTE_TOOL,
            A.GEN_AI_TOOL_NAME: tool,
            A.GEN_AI_TOOL_TYPE: "function",
            A.GEN_AI_TOOL_CALL_ID: f"call_{self._rng.getrandbits(48):012x}",
            A.GEN_AI_AGENT_NAME: agent,
            A.GAPWATCH_AGENT_VERSION: version,
            A.GEN_AI_CONVERSATION_ID: session,
            A.GAPWATCH_TOOL_OUTCOME: outcome,
            A.GAPWATCH_ATTEMPT: attempt,
        }
        if size is not None:
            attributes[A.GAPWATCH_INPUT_SIZE] = size[0]
            attributes[A.GAPWATCH_INPUT_UNIT] = size[1]
        if arguments:
            attributes[A.GEN_AI_TOOL_CALL_ARGUMENTS] = arguments
        if result:
            attributes[A.GEN_AI_TOOL_CALL_RESULT] = result
        if blocked is not None:
            attributes[A.GAPWATCH_BLOCKED_REASON] = blocked[0]
            attributes[A.GAPWATCH_DESIRED_CAPABILITY] = blocked[1]
        span = self._start(tracer, f"execute_tool {tool}", clock, attributes, parent=parent)
        if outcome == "error" and not error:
            error = f"{tool} failed: transient error #{self._rng.randint(1, 9999)}"
        kind = {"timeout": V.ERROR_TYPE_TIMEOUT, "blocked": "PermissionDenied"}.get(
            outcome, error_type or "ToolError")
        end = clock + duration_ms * MS
        self._end(span, end, outcome, error=error, error_type=kind)
        return end + self._rng.randint(1, 20) * MS

    def _start(self, tracer: Tracer, name: str, start: int,
               attributes: dict[str, str | int | float], parent: Span | None = None,
               kind: SpanKind = SpanKind.INTERNAL) -> Span:
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = tracer.start_span(name, context=context, kind=kind, attributes=attributes,
                                 start_time=start)
        self.stats.spans += 1
        return span

    def _end(self, span: Span, end: int, outcome: str, *, error: str = "",
             error_type: str = "") -> None:
        if outcome in ("error", "timeout", "blocked"):
            span.set_attribute(A.ERROR_TYPE, error_type or "AgentError")
            span.set_status(Status(StatusCode.ERROR, error or outcome))
            if outcome != "blocked":
                span.add_event(A.EVENT_EXCEPTION, {
                    A.EXCEPTION_TYPE: error_type or "AgentError",
                    A.EXCEPTION_MESSAGE: error or outcome,
                }, timestamp=end)
        span.end(end_time=end)


_TOOLS = {
    "coder": CODER_TOOLS,
    "researcher": RESEARCHER_TOOLS,
    "reviewer": REVIEWER_TOOLS,
    "summarizer": SUMMARIZER_TOOLS,
}
_SUMMARIZER_ERRORS = {
    "error": "summarizer failed: upstream model overloaded, retry later",
    "timeout": "summarizer timed out after 20000 ms",
}
