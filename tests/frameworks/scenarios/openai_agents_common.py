"""Shared scenario for the OpenAI Agents SDK under a third-party OpenTelemetry instrumentor.

A support bot: ``orchestrator`` answers billing questions itself, consults ``researcher`` as an
agent used as a tool (``ask_researcher``) and hands coding work off to ``coder``
(``transfer_to_coder``). Every model is a scripted ``Model`` subclass that opens the same
``response_span`` the SDK's OpenAI Responses model opens, so the instrumentor sees what it would
see with a real model, and nothing touches the network.

Entry scripts (one per instrumentor, each in its own process) call :func:`main` with a function
that enables their instrumentor. Injected gaps, one root cause each:

* ``tool_failure_hotspot`` — researcher's ``fetch_page`` raises the same upstream error in ~30 %
  of its calls (the SDK's default failure formatter: non-fatal, error text redacted in traces).
* ``timeout_input_correlation`` — coder's ``analyze_log`` has an SDK tool timeout of 20 ms;
  logs over ~4,000 characters exceed it and the SDK returns "Tool 'analyze_log' timed out
  after 0.02 seconds." as a normal result (status OK).
* ``soft_failure`` — orchestrator's ``check_billing`` returns ``{"error": "quota exceeded"}``.
* ``unused_tool`` — orchestrator is offered ``escalate_to_human`` on every call, never uses it.
* ``retry_loop`` — researcher calls ``search_kb`` 3–4 times with identical arguments in a run.
* ``repeated_request`` — one request text, asked in many sessions, that orchestrator never
  resolves: it has no tool to inspect exports, guesses, and its output guardrail rejects the
  guess (``OutputGuardrailTripwireTriggered``). The run fails as cheaply as a good one succeeds,
  so it is no ``cost_waste`` (a ``MaxTurnsExceeded`` loop would be).
* ``delegation_failure`` — the handoff orchestrator → coder fails in ~45 % of handoffs: coder's
  model rejects the request (context length exceeded), so coder's run raises.
* ``permission_blocked`` — coder's ``deploy_preview`` raises ``PermissionError(... denied by
  policy ...)``; its failure formatter hands the text back, so the trace keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import sys
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
from _scenario import (
    DEFAULT_SESSIONS,
    gap,
    ngram_distance,
    ngrams,
    otlp_request,
    scenario_parser,
    setup_tracing,
    write_capture,
    write_ledger,
)
from agents import (
    Agent,
    FunctionTool,
    GuardrailFunctionOutput,
    Handoff,
    Model,
    ModelResponse,
    ModelSettings,
    ModelTracing,
    OutputGuardrailTripwireTriggered,
    RunConfig,
    RunContextWrapper,
    Runner,
    Usage,
    function_tool,
    output_guardrail,
)
from agents.tracing import SpanError, get_trace_provider, response_span
from openai.types.responses import (
    FunctionTool as ResponsesFunctionTool,
)
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails
from opentelemetry.sdk.trace import TracerProvider

MODEL_NAME = "gpt-4.1-mini"
MAX_TURNS = 10
LARGE_LOG_CHARS = 4_000
TOOL_TIMEOUT_SECONDS = 0.02
REPEATED_REQUEST = "Why does my nightly export to the data warehouse keep stalling halfway?"

Step = list[Any] | BaseException
"""One scripted model turn: the output items it returns, or the exception it raises."""


# ---------------------------------------------------------------------------------------------
# The scripted model
# ---------------------------------------------------------------------------------------------


class ScriptedResponsesModel(Model):
    """A fake model that plays back queued turns, traced like ``OpenAIResponsesModel``.

    It opens a ``response_span`` and, with sensitive data included, attaches a ``Response``
    carrying the offered tools, the instructions and token usage, and the input items: exactly
    what instrumentors read from a real Responses API call.
    """

    def __init__(self, agent_name: str) -> None:
        self.agent_name = agent_name
        self.turns: deque[Step] = deque()
        self._ids = itertools.count(1)

    def queue(self, steps: list[Step]) -> None:
        self.turns.extend(steps)

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[Any],
        model_settings: ModelSettings,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any,
    ) -> ModelResponse:
        with response_span(disabled=tracing.is_disabled()) as span:
            if not self.turns:
                raise RuntimeError(f"script for {self.agent_name} ran out of turns")
            step = self.turns.popleft()
            if isinstance(step, BaseException):
                span.set_error(SpanError(message="Error getting response",
                                         data={"error": str(step)}))
                raise step
            response = self._response(system_instructions, input, tools, handoffs, step)
            usage = Usage(requests=1, input_tokens=response.usage.input_tokens,
                          output_tokens=response.usage.output_tokens,
                          total_tokens=response.usage.total_tokens)
            if tracing.include_data():
                span.span_data.response = response
                span.span_data.input = input
        return ModelResponse(output=list(response.output), usage=usage,
                             response_id=response.id)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        """Streaming plays the same turn back as one completed event."""
        result = await self.get_response(*args, **kwargs)
        yield ResponseCompletedEvent(
            type="response.completed", sequence_number=0,
            response=_bare_response(f"resp_{self.agent_name}_s", result.output, 0, 0))

    def _response(self, instructions: str | None, input: str | list[Any], tools: list[Any],
                  handoffs: list[Handoff], output: list[Any]) -> Response:
        offered = [ResponsesFunctionTool(type="function", name=t.name, description=t.description,
                                         parameters=t.params_json_schema,
                                         strict=t.strict_json_schema)
                   for t in tools if isinstance(t, FunctionTool)]
        offered += [ResponsesFunctionTool(type="function", name=h.tool_name,
                                          description=h.tool_description,
                                          parameters=h.input_json_schema,
                                          strict=h.strict_json_schema) for h in handoffs]
        prompt_chars = len(json.dumps(input, default=str)) + len(instructions or "")
        input_tokens = 120 + prompt_chars // 4 + 40 * len(offered)
        output_tokens = 18 + sum(len(json.dumps(o.model_dump())) for o in output) // 6
        response = _bare_response(f"resp_{self.agent_name}_{next(self._ids):06d}", output,
                                  input_tokens, output_tokens)
        return response.model_copy(update={"tools": offered, "instructions": instructions,
                                           "tool_choice": "auto"})


def _bare_response(response_id: str, output: list[Any], input_tokens: int,
                   output_tokens: int) -> Response:
    return Response(
        id=response_id, created_at=time.time(), model=MODEL_NAME, object="response",
        output=output, tool_choice="auto", tools=[], parallel_tool_calls=False,
        status="completed",
        usage=ResponseUsage(input_tokens=input_tokens, output_tokens=output_tokens,
                            total_tokens=input_tokens + output_tokens,
                            input_tokens_details=InputTokensDetails(
                                cached_tokens=0, cache_write_tokens=0),
                            output_tokens_details=OutputTokensDetails(reasoning_tokens=0)))


_call_ids = itertools.count(1)


def call(name: str, **arguments: Any) -> list[Any]:
    """A model turn that calls one tool."""
    number = next(_call_ids)
    return [ResponseFunctionToolCall(type="function_call", id=f"fc_{number:06d}",
                                     call_id=f"call_{number:06d}", name=name,
                                     arguments=json.dumps(arguments), status="completed")]


def say(text: str) -> list[Any]:
    """A model turn that answers in plain text (ends the agent's run)."""
    return [ResponseOutputMessage(
        type="message", id=f"msg_{next(_call_ids):06d}", role="assistant", status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[])])]


def context_length_error() -> openai.BadRequestError:
    """What the Responses API answers when a handed-off conversation no longer fits."""
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/responses")
    body = {"message": "Your input exceeds the context window of this model. Please adjust "
                       "your input and try again.",
            "type": "invalid_request_error", "param": "input",
            "code": "context_length_exceeded"}
    return openai.BadRequestError(f"Error code: 400 - {{'error': {body}}}",
                                  response=httpx.Response(400, request=request), body=body)


# ---------------------------------------------------------------------------------------------
# Tools (their faults are decided by the plan, keyed on their arguments)
# ---------------------------------------------------------------------------------------------


@dataclass
class Faults:
    """Which concrete calls misbehave; the plan fills it, the tools consult it."""

    broken_urls: set[str] = field(default_factory=set)
    over_quota_accounts: set[str] = field(default_factory=set)
    empty_queries: set[str] = field(default_factory=set)


FAULTS = Faults()


def tell_model_the_error(ctx: RunContextWrapper[Any], error: Exception) -> str:
    """Hand the exception text back to the model (and so to the trace) instead of redacting."""
    return f"{type(error).__name__}: {error}"


@function_tool
async def lookup_account(account_id: str) -> dict[str, Any]:
    """Look up a customer account by its id."""
    return {"account_id": account_id, "plan": "team", "seats": 5 + len(account_id) % 7,
            "status": "active"}


@function_tool
async def check_billing(account_id: str) -> dict[str, Any]:
    """Read the current invoice and balance of an account from the billing service."""
    if account_id in FAULTS.over_quota_accounts:
        return {"error": "quota exceeded"}
    return {"account_id": account_id, "balance_usd": round(9.5 + len(account_id) * 1.25, 2),
            "next_invoice": "2026-09-01"}


@function_tool
async def escalate_to_human(reason: str) -> str:
    """Open a ticket for a human support engineer."""
    return "ticket opened"


@function_tool
async def web_search(query: str) -> dict[str, Any]:
    """Search the public web."""
    slug = "-".join(query.lower().split()[:4])
    return {"results": [{"title": query.title(), "url": f"https://docs.example.com/{slug}"}]}


@function_tool
async def fetch_page(url: str) -> str:
    """Download a web page as text."""
    if url in FAULTS.broken_urls:
        raise ConnectionError("upstream docs mirror returned 502 Bad Gateway")
    return f"<html><title>{url.rsplit('/', 1)[-1]}</title><p>Step-by-step guide.</p></html>"


@function_tool
async def search_kb(query: str) -> dict[str, Any]:
    """Search the internal knowledge base."""
    if query in FAULTS.empty_queries:
        return {"query": query, "results": []}
    return {"query": query, "results": [{"id": f"KB-{len(query) * 37 % 900 + 100}",
                                         "title": query.capitalize()}]}


@function_tool
async def run_tests(suite: str) -> dict[str, Any]:
    """Run a test suite in the customer's sandbox."""
    return {"suite": suite, "passed": 40 + len(suite) % 9, "failed": 1}


@function_tool(timeout=TOOL_TIMEOUT_SECONDS)
async def analyze_log(text: str) -> dict[str, Any]:
    """Find the first error in a build or job log."""
    if len(text) > LARGE_LOG_CHARS:
        await asyncio.sleep(1.0)  # the SDK's tool timeout cancels this after 20 ms
    first = next((line for line in text.splitlines() if "ERROR" in line), "")
    return {"lines": text.count("\n") + 1, "first_error": first[:120]}


@function_tool(failure_error_function=tell_model_the_error)
async def deploy_preview(branch: str) -> str:
    """Deploy a branch to a preview environment."""
    raise PermissionError(f"deploy of branch '{branch}' denied by policy: this workspace may "
                          "not create preview environments")


@output_guardrail(name="no_guesswork")
async def no_guesswork(ctx: RunContextWrapper[Any], agent: Agent[Any],
                       output: Any) -> GuardrailFunctionOutput:
    """Reject answers that speculate instead of reporting what a tool returned."""
    guessing = "probably" in str(output).lower()
    return GuardrailFunctionOutput(output_info={"speculative": guessing},
                                   tripwire_triggered=guessing)


# ---------------------------------------------------------------------------------------------
# Agents
# ---------------------------------------------------------------------------------------------


@dataclass
class Team:
    orchestrator: Agent[Any]
    models: dict[str, ScriptedResponsesModel]


def build_team() -> Team:
    models = {name: ScriptedResponsesModel(name)
              for name in ("orchestrator", "researcher", "coder")}
    researcher = Agent(
        name="researcher", model=models["researcher"],
        instructions="You research product questions on the web and in the knowledge base.",
        tools=[web_search, fetch_page, search_kb])
    coder = Agent(
        name="coder", model=models["coder"],
        handoff_description="Fixes failing builds, reads logs and deploys previews.",
        instructions="You debug customers' builds: run tests, read logs, deploy previews.",
        tools=[run_tests, analyze_log, deploy_preview])
    orchestrator = Agent(
        name="orchestrator", model=models["orchestrator"],
        instructions="You are the support front desk. Answer account and billing questions; "
                     "ask the researcher for product research; hand coding work to the coder.",
        tools=[lookup_account, check_billing, escalate_to_human,
               researcher.as_tool(tool_name="ask_researcher",
                                  tool_description="Ask the research agent a product question.")],
        handoffs=[coder], output_guardrails=[no_guesswork])
    return Team(orchestrator=orchestrator, models=models)


# ---------------------------------------------------------------------------------------------
# The plan: one scripted conversation per session
# ---------------------------------------------------------------------------------------------

PRODUCTS = ["the Android app", "the billing portal", "the CLI", "the Slack integration",
            "the REST API", "the Terraform provider", "single sign-on", "the mobile SDK",
            "webhooks", "the desktop client", "the reporting dashboard", "the Zapier connector",
            "the audit trail", "the EU data region", "the browser extension", "guest accounts"]
TOPICS = ["how to rotate API keys", "whether rate limits differ per region",
          "how to export audit logs", "what changed in the last release",
          "how to configure SAML groups", "why pagination skips items",
          "how to enable two-factor for a team", "where usage reports are stored",
          "how to migrate from the legacy endpoints", "which TLS versions are supported",
          "how retention of deleted items works", "how to set up a staging tenant",
          "whether SCIM provisioning is supported", "what the uptime commitment is",
          "how to bulk-invite contractors", "whether data can be pinned to one country"]
RESEARCH_TEMPLATES = ["Can you find out {topic} for {product}?",
                      "I need to know {topic} in {product}.",
                      "Quick question about {product}: {topic}?",
                      "Our admin asks {topic} for {product}.",
                      "Please look up {topic} ({product}).",
                      "Before we roll out {product} widely: {topic}?"]
BUILDS = ["the nightly Android build", "our checkout service pipeline", "the docs site deploy",
          "the payments worker", "the iOS release job", "the data ingestion DAG",
          "our staging database migration", "the search indexer", "the Go monorepo CI",
          "the Helm chart release", "the e2e smoke suite", "the marketing site preview",
          "the Rust CLI cross-compile", "our Kafka consumer image", "the Terraform plan step",
          "the Python wheel publish job", "the Storybook build", "the GraphQL schema check",
          "our ML training container", "the Windows installer job", "the fraud-scoring service",
          "the invoice PDF renderer", "the websocket gateway", "the feature-flag sync cron"]
SYMPTOMS = ["fails with a segfault", "hangs right after restoring the cache",
            "has been red since this morning", "times out in the integration tests",
            "breaks on a missing environment variable", "started failing after the Node upgrade",
            "flakes roughly every third run", "only fails on the ARM runners",
            "runs out of memory while linking", "cannot pull its base image anymore",
            "reports a checksum mismatch on a vendored dependency", "dies with exit code 137",
            "complains about an expired signing certificate",
            "deadlocks during the schema migration", "produces an empty artifact",
            "fails its lint step on files nobody touched",
            "loses the connection to the test database",
            "suddenly takes forty minutes instead of five",
            "throws a permission error writing to tmp", "crashes when the locale is not English"]
CODING_OPENERS = ["", "Help:", "Since yesterday", "Quick one:", "Urgent:", "Hi team,",
                  "Not sure who owns this, but", "After Friday's release"]
CODING_CLOSERS = [".", ", can you take a look?", " and we ship tomorrow.", ". Any idea why?",
                  ". Logs are attached.", ", please advise."]
BILLING_ASKS = ["What is my current balance?", "When is the next invoice due?",
                "Why was I charged twice this month?", "Can you confirm my plan and balance?",
                "How much do we owe for August?", "Is my last payment registered?",
                "What does the invoice for the extra seats say?",
                "Did the annual discount apply to my account?",
                "Can I get a copy of last quarter's invoices?",
                "Why did our bill go up after adding two seats?",
                "Has the refund for the cancelled add-on arrived?",
                "Which card is on file for us?"]
BILLING_CONTEXTS = ["Account {account}.", "Our account is {account}.", "(account {account})",
                    "This is for {account}, the Lisbon office.", "Asking for {account}.",
                    "It's the team account {account}."]
# gapwatch groups requests whose normalized texts are within an ngramDistanceUTF8 of 0.4. Coding
# requests, the ones whose runs fail when the handoff to coder fails, are kept further apart
# than that (measured with plain character trigrams, which read a little higher than
# ClickHouse's hashed ones), so that their failures never look like one repeated request.
# Research and billing runs always succeed: their requests only need to differ.
MIN_CODING_DISTANCE = 0.55


class RequestWriter:
    """Writes the users' requests: each one new, and coding requests unlike each other, so
    that the one repeated request is the only repeated request."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.written = [_trigrams(REPEATED_REQUEST)]

    def research(self) -> str:
        return self._new(RESEARCH_TEMPLATES, 0.0, topic=TOPICS, product=PRODUCTS)

    def coding(self) -> str:
        return self._new(["{opener} {build} {symptom}{closer}"], MIN_CODING_DISTANCE,
                         opener=CODING_OPENERS, build=BUILDS, symptom=SYMPTOMS,
                         closer=CODING_CLOSERS)

    def billing(self, account: str) -> str:
        return self._new(["{ask} {context}"], 0.0, ask=BILLING_ASKS,
                         context=[c.format(account=account) for c in BILLING_CONTEXTS])

    def _new(self, templates: list[str], min_distance: float, **slots: list[str]) -> str:
        for _ in range(5_000):
            words = {name: self.rng.choice(options) for name, options in slots.items()}
            text = self.rng.choice(templates).format(**words).strip()
            text = text[0].upper() + text[1:]
            grams = _trigrams(text)
            if all(ngram_distance(grams, other) > min_distance for other in self.written):
                self.written.append(grams)
                return text
        raise RuntimeError("out of distinct requests: add words to the vocabulary")


def _trigrams(text: str) -> Counter[str]:
    return ngrams(" ".join(re.sub(r"[^\w]+", " ", text.lower()).split()), 3)


@dataclass
class Session:
    """One user request: its text, every agent's turns, whether the run should fail, and the
    agents orchestrator delegates to."""

    session_id: str
    kind: str
    request: str
    turns: dict[str, list[Step]]
    expect_failure: bool = False
    delegations: list[str] = field(default_factory=list)


def build_plan(sessions: int, rng: random.Random) -> list[Session]:
    """Decide every session up front, so the injected gaps land in exact numbers."""
    if sessions <= len(SHOWCASE):
        return showcase_plan(sessions, rng)
    counts = _kind_counts(sessions)
    kinds = [kind for kind, n in counts.items() for _ in range(n)]
    rng.shuffle(kinds)
    writer = RequestWriter(rng)
    n_research, n_coding, n_billing = counts["research"], counts["coding"], counts["billing"]
    # each gap's schedule, spread over the sessions of its kind
    retry_runs = set(rng.sample(range(n_research), round(n_research * 0.16)))
    coder_failures = set(rng.sample(range(n_coding), round(n_coding * 0.45)))
    healthy_coding = sorted(set(range(n_coding)) - coder_failures)
    deploy_runs = set(rng.sample(healthy_coding, min(len(healthy_coding),
                                                     round(n_coding * 0.22))))
    over_quota = set(rng.sample(range(n_billing), round(n_billing * 0.33)))
    plan: list[Session] = []
    seen = dict.fromkeys(counts, 0)
    for index, kind in enumerate(kinds):
        session_id = f"conv-{index:04d}-{rng.randrange(16**6):06x}"
        ordinal = seen[kind]
        seen[kind] += 1
        if kind == "research":
            plan.append(_research(session_id, writer.research(), rng,
                                  retry_loop=ordinal in retry_runs))
        elif kind == "coding":
            plan.append(_coding(session_id, writer.coding(), rng,
                                fails=ordinal in coder_failures, deploys=ordinal in deploy_runs))
        elif kind == "billing":
            plan.append(_billing(session_id, writer, over_quota=ordinal in over_quota))
        else:
            plan.append(_unresolved(session_id, rng))
    return plan


SHOWCASE = ("research", "coding", "coding-fails", "billing")


def showcase_plan(sessions: int, rng: random.Random) -> list[Session]:
    """For a small capture: one session of each shape, each with its fault showing."""
    writer = RequestWriter(rng)
    plan = [
        _research("conv-demo-research", writer.research(), rng, retry_loop=False,
                  broken_fetches=[True, False]),
        _coding("conv-demo-coding", writer.coding(), rng, fails=False, deploys=True,
                large_logs=[False, True]),
        _coding("conv-demo-coding-fails", writer.coding(), rng, fails=True, deploys=False),
        _billing("conv-demo-billing", writer, over_quota=True),
    ]
    return plan[:sessions]


def _kind_counts(sessions: int) -> dict[str, int]:
    unresolved = max(1, round(sessions * 0.08))
    coding = max(1, round(sessions * 0.34))
    research = max(1, round(sessions * 0.32))
    return {"research": research, "coding": coding, "unresolved": unresolved,
            "billing": max(1, sessions - unresolved - coding - research)}


def _account(rng: random.Random) -> str:
    return f"acct-{rng.randrange(10**5):05d}"


def _research(session_id: str, text: str, rng: random.Random, *, retry_loop: bool,
              broken_fetches: list[bool] | None = None) -> Session:
    orchestrator: list[Step] = []
    if rng.random() < 0.3:
        orchestrator.append(call("lookup_account", account_id=_account(rng)))
    orchestrator += [call("ask_researcher", input=f"A customer asks: {text}"),
                     say("Here is what the research turned up: see the linked guide.")]
    query = text.lower().rstrip("?.")
    researcher: list[Step] = []
    if retry_loop:
        FAULTS.empty_queries.add(query)
        researcher += [call("search_kb", query=query) for _ in range(rng.choice((3, 4)))]
        researcher.append(say("The knowledge base has nothing on this yet."))
    else:
        researcher.append(call("web_search", query=query))
        if broken_fetches is None:
            broken_fetches = [rng.random() < 0.3 for _ in range(rng.choice((1, 2, 2)))]
        for attempt, broken in enumerate(broken_fetches):
            url = f"https://docs.example.com/{session_id}/page-{attempt}"
            if broken:
                FAULTS.broken_urls.add(url)
            researcher.append(call("fetch_page", url=url))
        if rng.random() < 0.35:
            researcher.append(call("search_kb", query=query))
        researcher.append(say("Found a guide that answers it."))
    return Session(session_id, "research", text,
                   {"orchestrator": orchestrator, "researcher": researcher},
                   delegations=["researcher"])


def _log(rng: random.Random, large: bool) -> str:
    lines = [f"{i:05d} INFO step {i} ok" for i in range(rng.randrange(5, 25))]
    lines.insert(rng.randrange(len(lines)), "ERROR linker exited with code 137")
    text = "\n".join(lines)
    while large and len(text) <= LARGE_LOG_CHARS + 500:
        text += "\n" + "\n".join(f"{i:05d} DEBUG cache probe {i} miss" for i in range(60))
    return text


def _coding(session_id: str, text: str, rng: random.Random, *, fails: bool, deploys: bool,
            large_logs: list[bool] | None = None) -> Session:
    orchestrator: list[Step] = [call("lookup_account", account_id=_account(rng)),
                                call("transfer_to_coder")]
    suite = rng.choice(["unit", "integration", "e2e", "lint", "smoke"])
    coder: list[Step] = []
    if fails:
        if rng.random() < 0.5:
            coder.append(call("run_tests", suite=suite))
        coder.append(context_length_error())
    else:
        coder.append(call("run_tests", suite=suite))
        if large_logs is None:
            large_logs = [rng.random() < 0.3 for _ in range(rng.choice((2, 2, 3)))]
        for large in large_logs:
            coder.append(call("analyze_log", text=_log(rng, large=large)))
        if deploys:
            coder.append(call("deploy_preview", branch=f"fix/{session_id[-6:]}"))
        coder.append(say("Found the failing step and proposed a fix."))
    return Session(session_id, "coding", text, {"orchestrator": orchestrator, "coder": coder},
                   expect_failure=fails, delegations=["coder"])


def _billing(session_id: str, writer: RequestWriter, *, over_quota: bool) -> Session:
    account = _account(writer.rng)
    text = writer.billing(account)
    if over_quota:
        FAULTS.over_quota_accounts.add(account)
    orchestrator: list[Step] = [call("lookup_account", account_id=account),
                                call("check_billing", account_id=account),
                                say("Your balance and next invoice are shown above.")]
    return Session(session_id, "billing", text, {"orchestrator": orchestrator})


def _unresolved(session_id: str, rng: random.Random) -> Session:
    orchestrator: list[Step] = [call("lookup_account", account_id=_account(rng)),
                                say("Your account looks fine, so it is probably a temporary "
                                    "warehouse timeout; please retry tonight.")]
    return Session(session_id, "unresolved", REPEATED_REQUEST, {"orchestrator": orchestrator},
                   expect_failure=True)


# ---------------------------------------------------------------------------------------------
# Running it
# ---------------------------------------------------------------------------------------------


Instrument = Callable[[TracerProvider], None]
SessionScope = Callable[[str], contextlib.AbstractContextManager[Any]]


@dataclass
class Setup:
    """What differs between the instrumentors: their name, how to enable them, and how (if at
    all) a session id reaches their spans."""

    name: str
    instrument: Instrument
    session_scope: SessionScope = lambda _session_id: contextlib.nullcontext()


async def run_sessions(team: Team, plan: list[Session], setup: Setup) -> dict[str, int]:
    outcomes = {"ok": 0, "failed": 0}
    for session in plan:
        for agent, turns in session.turns.items():
            team.models[agent].queue(turns)
        config = RunConfig(workflow_name="support-bot", group_id=session.session_id,
                           trace_metadata={"kind": session.kind})
        failed = False
        with setup.session_scope(session.session_id):
            try:
                await Runner.run(team.orchestrator, session.request, run_config=config,
                                 max_turns=MAX_TURNS)
            except (OutputGuardrailTripwireTriggered, openai.BadRequestError):
                failed = True
        if failed != session.expect_failure:
            raise AssertionError(f"{session.session_id} ({session.kind}) failed={failed}")
        leftover = {name: len(m.turns) for name, m in team.models.items() if m.turns}
        if leftover:
            raise AssertionError(f"{session.session_id}: unconsumed turns {leftover}")
        outcomes["failed" if failed else "ok"] += 1
    return outcomes


GAPS = [
    gap("tool_failure_hotspot", "fetch_page", "researcher"),
    gap("timeout_input_correlation", "analyze_log", "coder"),
    gap("soft_failure", "check_billing", "orchestrator"),
    gap("unused_tool", "escalate_to_human", "orchestrator"),
    gap("retry_loop", "search_kb", "researcher"),
    gap("repeated_request", "", "orchestrator"),
    gap("delegation_failure", "", "orchestrator", "coder"),
    gap("permission_blocked", "deploy_preview", "coder"),
]


def main(setup: Setup) -> None:
    parser = scenario_parser(__doc__)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.monotonic()

    tracing = setup_tracing(f"support-bot-{setup.name.replace('_', '-')}",
                            capture=args.capture is not None)
    setup.instrument(tracing.provider)
    _assert_no_vendor_export()

    team = build_team()
    plan = build_plan(args.sessions, random.Random(args.seed))
    outcomes = asyncio.run(run_sessions(team, plan, setup))
    delegations = sorted({target for session in plan for target in session.delegations})

    tracing.shutdown()
    spans = tracing.counter.count
    # the fault rates are sized for the default session count; a small capture run shows each
    # fault once but is not meant to reach any detector's support
    gaps = GAPS if args.sessions >= DEFAULT_SESSIONS else []
    write_ledger(args.ledger, spans, gaps,
                 [("orchestrator", target) for target in delegations])
    if args.capture:
        write_capture(args.capture, otlp_request(tracing.captured()))
    print(f"{setup.name}: {len(plan)} sessions ({outcomes}), {spans} spans, "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr)


def _assert_no_vendor_export() -> None:
    """The SDK's own exporter to api.openai.com must not be registered: only the instrumentor's
    processor may receive the SDK's traces."""
    processors = get_trace_provider()._multi_processor._processors  # type: ignore[attr-defined]
    names = [type(p).__name__ for p in processors]
    if not names or any("Batch" in n or "Backend" in n for n in names):
        raise SystemExit(f"unexpected Agents SDK trace processors: {names}")
