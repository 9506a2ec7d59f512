"""A synthetic fleet for measuring precision: healthy traffic, optionally with injected gaps, in
the GenAI, OpenInference or OpenLLMetry conventions.

    fleet = SyntheticFleet(SyntheticOptions(seed=3, gaps=GAP_KINDS), tracer_for)
    fleet.run()
    fleet.ledger  # the injected gaps: what an analysis should propose, and nothing else

A user-facing ``concierge`` agent delegates each request to one or two of four sub-agents, each
with its own tools, over ``days`` of traffic. The healthy part holds only ordinary noise: tools
failing at base rates with varied messages, rare timeouts and refusals, occasional single
identical retries, recurring requests that succeed, ratings that are mostly good, token use that
spreads normally, and every agent shipping a new version that changes nothing. Gaps are injected
on distinct tools and agents so each has one right answer; their placement depends on the seed.

``genai`` spans are what ``gapwatch-instrumentation`` emits (agent names on every span, the
``gapwatch.*`` extension); ``openinference`` and ``openllmetry`` spans are shaped as those
instrumentations emit them (the agent only on the run's span, arguments as the only input size,
a sub-agent running inside the caller's tool span). Feedback events and agent versions use the
``gapwatch.*`` extension in every convention: the standards have no place for them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from gapwatch.analyzer.demo.fleet import NS, FleetStats, InjectedGap
from gapwatch.analyzer.detectors import DETECTOR_IDS
from gapwatch.semconv import attributes as A
from gapwatch.semconv import values as V

CONVENTIONS = ("genai", "openinference", "openllmetry")
GAP_KINDS = DETECTOR_IDS  # one gap of every detector's kind, in registry order
ROOT = "concierge"
SUB_AGENTS: dict[str, tuple[str, ...]] = {
    "analyst": ("query_db", "plot_chart", "read_csv"),
    "builder": ("compile", "run_linter", "edit_file"),
    "scout": ("search_web", "open_url", "extract_table"),
    "scribe": ("draft_text", "spellcheck", "publish_note"),
}
SIZED_TOOLS = frozenset({"read_csv", "edit_file", "extract_table", "draft_text"})
ROUTINE_REQUESTS = (
    "Summarize this week's support tickets",
    "Draft the release notes for the next version",
    "Check whether the staging build is green",
    "Plot last month's signups by country",
    "Find the owner of the billing service",
    "Clean up the lint warnings in the api package",
    "Compare our pricing page with the competitors'",
    "Write the weekly status update for the team",
)
UNMET_REQUESTS = (
    "Export the quarterly numbers to Excel and share them with finance",
    "Can you export the quarterly numbers to Excel and share them with finance?",
    "Please export the quarterly numbers to an Excel file for finance",
)
NOISE_ERRORS = (
    "ConnectionResetError: connection reset by peer",
    "HTTP 502 Bad Gateway from upstream",
    "JSONDecodeError: Expecting value: line 1 column 1",
    "KeyError: 'items'",
    "RuntimeError: worker exited unexpectedly",
    "OSError: [Errno 28] No space left on device",
    "ValueError: empty input",
    "ssl.SSLError: record layer failure",
)
MS = 1_000_000
BURST_SESSIONS = 40  # sessions in the last hour when an error spike is injected


@dataclass(frozen=True)
class SyntheticOptions:
    seed: int = 1
    sessions: int = 1500
    days: float = 7.0
    convention: str = "genai"
    gaps: tuple[str, ...] = ()  # detector ids whose gap to inject (see GAP_KINDS)
    service: str = "synthetic-fleet"
    now: datetime | None = None  # end of the simulated history; defaults to the current time


@dataclass
class _Plan:
    """Where each injected gap sits: (agent, tool) or agent, drawn from the seed."""

    tool_gaps: dict[str, tuple[str, str]] = field(default_factory=dict)
    agent_gaps: dict[str, str] = field(default_factory=dict)
    timeout_threshold: float = 0.0
    regression_at_ns: int = 0
    unused_tool: str = ""


class SyntheticFleet:
    """Emits the fleet through ``tracer_for(service)``; :attr:`ledger` lists what was injected."""

    def __init__(self, options: SyntheticOptions, tracer_for: Callable[[str], Tracer]) -> None:
        if options.convention not in CONVENTIONS:
            raise ValueError(f"unknown convention {options.convention!r}: use {CONVENTIONS}")
        unknown = set(options.gaps) - set(GAP_KINDS)
        if unknown:
            raise ValueError(f"unknown gap kinds: {sorted(unknown)}")
        self.options = options
        self._rng = random.Random(options.seed * 7_919 + CONVENTIONS.index(options.convention))
        self._tracer = tracer_for(options.service)
        self._now_ns = int((options.now or datetime.now(UTC)).timestamp() * NS)
        self._start_ns = self._now_ns - int(options.days * 86_400 * NS)
        self._versions = {
            agent: (f"{agent[0]}1.{self._rng.randint(0, 9)}", self._between(0.2, 0.8))
            for agent in (ROOT, *SUB_AGENTS)
        }
        self.plan = self._place_gaps()
        self.ledger = self._ledger()
        self.stats = FleetStats()

    # --- placing the gaps ------------------------------------------------------------------

    def _place_gaps(self) -> _Plan:
        rng, gaps = self._rng, set(self.options.gaps)
        plan = _Plan()
        agents = list(SUB_AGENTS)
        rng.shuffle(agents)
        for kind in ("delegation_failure", "cost_waste", "version_regression",
                     "negative_feedback"):
            if kind in gaps:
                plan.agent_gaps[kind] = agents.pop()
        tools = [(agent, tool) for agent, names in SUB_AGENTS.items() for tool in names]
        rng.shuffle(tools)
        taken: set[tuple[str, str]] = set()

        def tool_for(kind: str, sized: bool = False) -> tuple[str, str]:
            for agent, tool in tools:
                if (agent, tool) in taken or (sized and tool not in SIZED_TOOLS):
                    continue
                if agent == plan.agent_gaps.get("delegation_failure"):
                    continue  # its runs fail anyway: keep its tools out of the other gaps
                taken.add((agent, tool))
                return agent, tool
            raise RuntimeError(f"no tool left for {kind}")

        if "timeout_input_correlation" in gaps:
            plan.tool_gaps["timeout_input_correlation"] = tool_for("timeout", sized=True)
            plan.timeout_threshold = float(rng.choice((3_000, 4_000, 5_000, 6_000)))
        if "version_regression" in gaps:
            agent = plan.agent_gaps["version_regression"]
            tool = rng.choice(SUB_AGENTS[agent])
            taken.add((agent, tool))
            plan.tool_gaps["version_regression"] = (agent, tool)
            plan.regression_at_ns = self._between(0.45, 0.6)
            self._versions[agent] = (self._versions[agent][0], plan.regression_at_ns)
        for kind in ("tool_failure_hotspot", "permission_blocked", "retry_loop", "error_spike",
                     "soft_failure"):
            if kind in gaps:
                plan.tool_gaps[kind] = tool_for(kind)
        if "unused_tool" in gaps:
            plan.agent_gaps["unused_tool"] = rng.choice(list(SUB_AGENTS))
            plan.unused_tool = "legacy_export"
        if "repeated_request" in gaps:
            plan.agent_gaps["repeated_request"] = ROOT
        return plan

    def _ledger(self) -> list[InjectedGap]:
        service, plan = self.options.service, self.plan
        ledger = []
        for kind in self.options.gaps:
            if kind == "delegation_failure":
                gap = InjectedGap(kind, ROOT, target_agent=plan.agent_gaps[kind], service=service)
            elif kind == "unused_tool":
                gap = InjectedGap(kind, plan.agent_gaps[kind], tool=plan.unused_tool,
                                  service=service)
            elif kind == "version_regression":
                gap = InjectedGap(kind, plan.agent_gaps[kind], service=service)
            elif kind in plan.tool_gaps:
                agent, tool = plan.tool_gaps[kind]
                threshold = (self._derived_size(tool, plan.timeout_threshold)
                             if kind == "timeout_input_correlation" else 0.0)
                gap = InjectedGap(kind, agent, tool=tool, service=service, threshold=threshold)
            else:
                gap = InjectedGap(kind, plan.agent_gaps[kind], service=service)
            ledger.append(gap)
        return ledger

    # --- traffic ---------------------------------------------------------------------------

    def run(self) -> FleetStats:
        rng = self._rng
        starts = sorted(self._between(0.0, 1.0) - 300 * NS for _ in range(self.options.sessions))
        for index, start in enumerate(starts):
            self._session(f"{self.options.seed}-{index:05d}", start, burst=False)
        if "error_spike" in self.options.gaps:
            for index in range(BURST_SESSIONS):
                start = self._now_ns - int(rng.uniform(120, 3_000) * NS)
                self._session(f"{self.options.seed}-burst-{index:03d}", start, burst=True)
        return self.stats

    def _session(self, key: str, start: int, *, burst: bool) -> None:
        rng, plan = self._rng, self.plan
        session, user = f"sess-{key}", f"user-{rng.randrange(120):03d}"
        self.stats.sessions += 1
        if "repeated_request" in self.options.gaps and rng.random() < 0.04 and not burst:
            # nobody can export to Excel: the concierge says so, the user rephrases and asks again
            self.stats.count("repeated_request")
            end = self._root_run(session, user, rng.choice(UNMET_REQUESTS), start, [])
            if rng.random() < 0.7:
                self._root_run(session, user, rng.choice(UNMET_REQUESTS),
                               end + rng.randint(20, 90) * NS, [])
            return
        if rng.random() < 0.55:
            request = rng.choice(ROUTINE_REQUESTS)
        else:
            request = f"{rng.choice(ROUTINE_REQUESTS)} for project {rng.randrange(10**6):06d}"
        targets = rng.sample(list(SUB_AGENTS), rng.choice((1, 1, 2)))
        if burst:
            targets = [plan.tool_gaps["error_spike"][0]]
        self._root_run(session, user, request, start, targets, burst=burst)

    def _root_run(self, session: str, user: str, request: str, start: int,
                  targets: list[str], *, burst: bool = False) -> int:
        rng = self._rng
        root = self._agent_span(None, ROOT, start, session, user, request=request)
        clock = self._llm(root, ROOT, start + rng.randint(5, 40) * MS, session, 1_500, 200)
        failed = rng.random() < 0.01
        for target in targets:
            clock = self._delegate(root, target, clock, session, burst=burst)
        events: list[tuple[str, Mapping[str, float | str]]] = []
        if rng.random() < 0.2:
            events.append((A.EVENT_FEEDBACK, {A.FEEDBACK_RATING: -1.0 if rng.random() < 0.08
                                              else 1.0}))
        end = clock + rng.randint(10, 200) * MS
        self._end(root, end, "error" if failed else "ok",
                  message="RuntimeError: planner crashed" if failed else "", events=events)
        return end

    def _delegate(self, parent: Span, agent: str, clock: int, session: str, *,
                  burst: bool) -> int:
        rng, plan, convention = self._rng, self.plan, self.options.convention
        failing = plan.agent_gaps.get("delegation_failure") == agent and rng.random() < 0.35
        if failing:
            self.stats.count("delegation_failure")
        failed = failing or rng.random() < 0.015
        message = (f"AgentError: {agent} could not finish: context window exceeded"
                   if failing else f"AgentError: {agent} stopped: {rng.choice(NOISE_ERRORS)}")
        if convention == "genai":
            carrier = self._span(f"invoke_agent {agent}", clock, {
                A.GEN_AI_OPERATION_NAME: V.OP_INVOKE_AGENT,
                A.GEN_AI_AGENT_NAME: agent,
                A.GEN_AI_CALLER_TYPE: V.CALLER_AGENT,
                A.GEN_AI_CALLER_NAME: ROOT,
                A.GEN_AI_CONVERSATION_ID: session,
            }, parent=parent, kind=SpanKind.CLIENT)
        else:
            carrier = self._tool_span(parent, ROOT, f"ask_{agent}", clock, session,
                                      json.dumps({"task": f"help with {agent} work"}))
        run = self._agent_span(carrier, agent, clock + 2 * MS, session, "")
        inner = self._sub_agent_work(run, agent, clock + 3 * MS, session, burst=burst)
        events = self._rating(agent)
        self._end(run, inner + MS, "error" if failed else "ok",
                  message=message if failed else "", events=events)
        self._end(carrier, inner + 2 * MS, "error" if failed else "ok",
                  message=message if failed else "")
        return inner + rng.randint(5, 30) * MS

    def _rating(self, agent: str) -> list[tuple[str, Mapping[str, float | str]]]:
        rng = self._rng
        if self.plan.agent_gaps.get("negative_feedback") != agent or rng.random() >= 0.4:
            return []
        if rng.random() < 0.55:
            self.stats.count("negative_feedback")
            events: list[tuple[str, Mapping[str, float | str]]] = [
                (A.EVENT_FEEDBACK, {A.FEEDBACK_RATING: -1.0})]
            if rng.random() < 0.3:
                events.append((A.EVENT_USER_CORRECTION,
                               {A.CORRECTION_DESCRIPTION: "user rewrote the answer"}))
            return events
        return [(A.EVENT_FEEDBACK, {A.FEEDBACK_RATING: 1.0})]

    def _sub_agent_work(self, run: Span, agent: str, clock: int, session: str, *,
                        burst: bool) -> int:
        rng, plan = self._rng, self.plan
        tokens_in = int(2_500 * rng.lognormvariate(0, 0.35))
        if plan.agent_gaps.get("cost_waste") == agent and rng.random() < 0.12:
            self.stats.count("cost_waste")
            tokens_in *= 10  # the agent drags a whole corpus into its context
        for _ in range(rng.choice((1, 1, 2))):
            clock = self._llm(run, agent, clock, session, tokens_in, 400)
        tools = list(SUB_AGENTS[agent])
        chosen = rng.sample(tools, rng.choice((1, 2, 2, 3)))
        if burst:
            chosen = [plan.tool_gaps["error_spike"][1]]
        for tool in chosen:
            clock = self._tool_use(run, agent, tool, clock, session, burst=burst)
        return clock

    def _tool_use(self, run: Span, agent: str, tool: str, clock: int, session: str, *,
                  burst: bool) -> int:
        rng, plan = self._rng, self.plan
        gap = next((kind for kind, where in plan.tool_gaps.items() if where == (agent, tool)), "")
        size = int(min(60_000, 2_000 * rng.lognormvariate(0, 0.8))) if tool in SIZED_TOOLS else 0
        arguments = {"request": f"{tool}-{rng.getrandbits(40):010x}"}
        duration = rng.randint(50, 900) + (size // 20 if size else 0)
        outcome, message, result = "ok", "", ""
        roll = rng.random()
        if roll < 0.015:
            outcome, message = "error", rng.choice(NOISE_ERRORS)
        elif roll < 0.018:
            outcome, message = "timeout", f"TimeoutError: {tool} timed out after 30 s"
            duration = 30_000
        elif roll < 0.0185:
            outcome, message = "blocked", f"PermissionError: {tool} denied by sandbox policy"
        elif roll < 0.021:
            result = '{"error": "temporarily unavailable, try later"}'
        if gap == "tool_failure_hotspot" and rng.random() < 0.25:
            self.stats.count(gap)
            outcome, message = "error", "ValueError: unsupported column type 'geometry'"
        elif gap == "permission_blocked" and rng.random() < 0.25:
            self.stats.count(gap)
            outcome = "blocked"
            message = (f"PermissionError: write to /srv/shared/{rng.randrange(500)}.dat "
                       "denied by sandbox policy")
        elif gap == "timeout_input_correlation" and size > plan.timeout_threshold and (
                rng.random() < 0.9):
            self.stats.count(gap)
            outcome, duration = "timeout", 60_000
            message = f"TimeoutError: {tool} timed out after 60 s"
        elif gap == "soft_failure" and rng.random() < 0.25:
            self.stats.count(gap)
            outcome, message = "ok", ""
            result = '{"error": "quota exceeded for the upstream index"}'
        elif gap == "error_spike" and burst and rng.random() < 0.6:
            self.stats.count(gap)
            outcome, message = "error", "ConnectionError: upstream cdn-3 unreachable"
        elif gap == "version_regression" and clock >= plan.regression_at_ns and (
                rng.random() < 0.45):
            self.stats.count(gap)
            outcome, message = "error", f"SchemaError: {tool} rejected the new payload format"
        calls = 1
        if gap == "retry_loop" and rng.random() < 0.15:
            self.stats.count(gap)
            calls, outcome, message = 4, "error", "AssertionError: 3 tests failed in suite core"
        elif outcome == "ok" and rng.random() < 0.03:
            calls = 2  # an ordinary single retry of the same call
        text = json.dumps(arguments | ({"text": "x" * (size // 10)} if size else {}))
        for attempt in range(1, calls + 1):
            last = attempt == calls
            span = self._tool_span(run, agent, tool, clock, session, text, size=size,
                                   attempt=attempt)
            this_outcome = outcome if (last or calls == 4) else "ok"
            clock += duration * MS
            self._end(span, clock, this_outcome, message=message, result=result, tool=True)
            clock += rng.randint(1, 20) * MS
        return clock

    # --- spans by convention -----------------------------------------------------------------

    def _agent_span(self, parent: Span | None, agent: str, start: int, session: str,
                    user: str, request: str = "") -> Span:
        version = self._version(agent, start)
        convention = self.options.convention
        common: dict[str, str | int | float] = {A.GAPWATCH_AGENT_VERSION: version}
        if convention == "genai":
            attributes = common | {
                A.GEN_AI_OPERATION_NAME: V.OP_INVOKE_AGENT,
                A.GEN_AI_AGENT_NAME: agent,
                A.GEN_AI_CONVERSATION_ID: session,
            }
            if request:
                attributes[A.GAPWATCH_TASK] = request
            if user:
                attributes[A.USER_ID] = user
            name = f"invoke_agent {agent}"
        elif convention == "openinference":
            attributes = common | {
                A.OPENINFERENCE_SPAN_KIND: "AGENT",
                A.OPENINFERENCE_AGENT_NAME: agent,
                A.OPENINFERENCE_SESSION_ID: session,
            }
            if request:
                attributes[A.OPENINFERENCE_INPUT_VALUE] = request
            if user:
                attributes[A.OPENINFERENCE_USER_ID] = user
            name = agent
        else:
            attributes = common | {
                A.TRACELOOP_SPAN_KIND: "agent",
                A.TRACELOOP_ENTITY_NAME: agent,
                A.TRACELOOP_SESSION_ID: session,
            }
            if request:
                attributes[A.TRACELOOP_ENTITY_INPUT] = request
            if user:
                attributes[A.TRACELOOP_USER_ID] = user
            name = f"{agent}.agent"
        return self._span(name, start, attributes, parent=parent)

    def _tool_span(self, parent: Span, agent: str, tool: str, start: int, session: str,
                   arguments: str, *, size: int = 0, attempt: int = 1) -> Span:
        convention = self.options.convention
        if convention == "genai":
            attributes: dict[str, str | int | float] = {
                A.GEN_AI_OPERATION_NAME: V.OP_EXECUTE_TOOL,
                A.GEN_AI_TOOL_NAME: tool,
                A.GEN_AI_AGENT_NAME: agent,
                A.GAPWATCH_AGENT_VERSION: self._version(agent, start),
                A.GEN_AI_CONVERSATION_ID: session,
                A.GEN_AI_TOOL_CALL_ARGUMENTS: arguments,
                A.GAPWATCH_ATTEMPT: attempt,
            }
            if size:
                attributes[A.GAPWATCH_INPUT_SIZE] = size
                attributes[A.GAPWATCH_INPUT_UNIT] = "lines"
            return self._span(f"execute_tool {tool}", start, attributes, parent=parent)
        if convention == "openinference":
            return self._span(tool, start, {
                A.OPENINFERENCE_SPAN_KIND: "TOOL",
                A.OPENINFERENCE_TOOL_NAME: tool,
                A.OPENINFERENCE_INPUT_VALUE: arguments,
                A.OPENINFERENCE_SESSION_ID: session,
            }, parent=parent)
        return self._span(f"{tool}.tool", start, {
            A.TRACELOOP_SPAN_KIND: "tool",
            A.TRACELOOP_ENTITY_NAME: tool,
            A.TRACELOOP_ENTITY_INPUT: arguments,
            A.TRACELOOP_SESSION_ID: session,
        }, parent=parent)

    def _llm(self, parent: Span, agent: str, clock: int, session: str, tokens_in: int,
             tokens_out: int) -> int:
        rng, convention = self._rng, self.options.convention
        offered = list(SUB_AGENTS.get(agent, ()))
        if self.plan.agent_gaps.get("unused_tool") == agent:
            offered.append(self.plan.unused_tool)
        tokens_in = int(tokens_in * rng.uniform(0.8, 1.2))
        tokens_out = int(tokens_out * rng.uniform(0.5, 1.5))
        if convention == "genai":
            attributes: dict[str, str | int | float] = {
                A.GEN_AI_OPERATION_NAME: V.OP_CHAT,
                A.GEN_AI_PROVIDER_NAME: "openai",
                A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                A.GEN_AI_AGENT_NAME: agent,
                A.GEN_AI_CONVERSATION_ID: session,
                A.GEN_AI_USAGE_INPUT_TOKENS: tokens_in,
                A.GEN_AI_USAGE_OUTPUT_TOKENS: tokens_out,
            }
            if offered:
                attributes[A.GEN_AI_TOOL_DEFINITIONS] = json.dumps(
                    [{"type": "function", "name": name} for name in offered])
            name = "chat gpt-4o-mini"
        elif convention == "openinference":
            attributes = {
                A.OPENINFERENCE_SPAN_KIND: "LLM",
                A.OPENINFERENCE_MODEL_NAME: "gpt-4o-mini",
                A.OPENINFERENCE_TOKEN_PROMPT: tokens_in,
                A.OPENINFERENCE_TOKEN_COMPLETION: tokens_out,
                A.OPENINFERENCE_SESSION_ID: session,
            }
            for index, tool in enumerate(offered):
                attributes[f"llm.tools.{index}.tool.json_schema"] = json.dumps(
                    {"type": "function", "function": {"name": tool}})
            name = "ChatCompletion"
        else:
            attributes = {
                "llm.request.type": "chat",
                A.GEN_AI_SYSTEM: "openai",
                A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                A.GEN_AI_USAGE_PROMPT_TOKENS: tokens_in,
                A.GEN_AI_USAGE_COMPLETION_TOKENS: tokens_out,
                A.TRACELOOP_SESSION_ID: session,
            }
            for index, tool in enumerate(offered):
                attributes[f"llm.request.functions.{index}.name"] = tool
            name = "openai.chat"
        duration = rng.randint(300, 2_000) * MS
        span = self._span(name, clock, attributes, parent=parent, kind=SpanKind.CLIENT)
        self._end(span, clock + duration, "ok")
        return clock + duration

    def _span(self, name: str, start: int, attributes: Mapping[str, str | int | float],
              *, parent: Span | None, kind: SpanKind = SpanKind.INTERNAL) -> Span:
        context = trace.set_span_in_context(parent) if parent is not None else None
        self.stats.spans += 1
        return self._tracer.start_span(name, context=context, kind=kind,
                                       attributes=dict(attributes), start_time=start)

    def _end(self, span: Span, end: int, outcome: str, *, message: str = "", result: str = "",
             tool: bool = False,
             events: list[tuple[str, Mapping[str, float | str]]] | None = None) -> None:
        convention = self.options.convention
        if result:
            key = {"genai": A.GEN_AI_TOOL_CALL_RESULT, "openinference": "output.value",
                   "openllmetry": "traceloop.entity.output"}[convention]
            span.set_attribute(key, result)
        if outcome != "ok":
            error_type = message.split(":", 1)[0] if ":" in message else "Error"
            span.set_attribute(A.ERROR_TYPE, error_type)
            span.set_status(Status(StatusCode.ERROR, message))
            span.add_event(A.EVENT_EXCEPTION, {A.EXCEPTION_TYPE: error_type,
                                               A.EXCEPTION_MESSAGE: message}, timestamp=end)
            if tool and convention == "genai" and outcome == "blocked":
                span.set_attribute(A.GAPWATCH_BLOCKED_REASON, message)
        for name, attributes in events or []:
            span.add_event(name, dict(attributes), timestamp=end)
        span.end(end_time=end)

    # --- helpers -----------------------------------------------------------------------------

    def _between(self, low: float, high: float) -> int:
        """A time between two fractions of the simulated history."""
        fraction = self._rng.uniform(low, high)
        return self._start_ns + int(fraction * (self._now_ns - self._start_ns))

    def _version(self, agent: str, at_ns: int) -> str:
        old, changed_at = self._versions[agent]
        major = old.split(".")[0]
        return old if at_ns < changed_at else f"{major}.{int(old.split('.')[1]) + 1}"

    def _derived_size(self, tool: str, lines: float) -> float:
        """The injected timeout threshold in the unit the analysis sees: lines where the size
        is explicit (``genai``), else the length of the call's arguments."""
        if self.options.convention == "genai":
            return lines
        arguments = {"request": f"{tool}-{0:010x}", "text": "x" * int(lines // 10)}
        return float(len(json.dumps(arguments)))
