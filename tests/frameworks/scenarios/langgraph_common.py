"""LangGraph support-bot scenario shared by the LangGraph conformance setups.

Three ``create_react_agent`` graphs (langgraph.prebuilt; deprecated in favour of
``langchain.agents.create_agent``, whose ``langchain`` package is not installed) — ``orchestrator``
delegating to ``researcher`` and ``coder`` through the tools ``ask_researcher`` / ``ask_coder``
(agents as tools; the tool's RunnableConfig is passed on, so a sub-agent's graph nests under the
delegating tool call) — driven by a scripted chat model. The injected gaps and where they live:

* ``tool_failure_hotspot``: researcher ``fetch_page`` raises ``ConnectionError`` for pages on the
  broken mirror (about 30 % of its calls).
* ``timeout_input_correlation``: researcher ``summarize_text`` raises ``TimeoutError(... timed out
  after 30 s)`` when its ``text`` is longer than 4,000 characters.
* ``soft_failure``: coder ``pypi_lookup`` returns ``{"error": "quota exceeded"}`` on every third
  call.
* ``permission_blocked``: coder ``write_file`` raises ``PermissionError(... denied by policy ...)``
  for production paths.
* ``unused_tool``: orchestrator ``escalate_to_human`` is offered on every model call, never called.
* ``retry_loop``: in 8 runs the researcher calls ``check_index_status`` 3–4 times in a row with
  identical arguments.
* ``repeated_request``: one billing question, asked in 12 sessions: the orchestrator looks up an
  account, then its model call fails (``RuntimeError``), so the root run raises. (Running out of
  steps does not fail a run here: ``create_react_agent`` answers "Sorry, need more steps to process
  this request." with status OK before LangGraph's recursion limit is reached.)
* ``delegation_failure``: the coder's model call fails in about 45 % of its delegations, so the
  coder run raises, ``ask_coder`` raises; the researcher stays healthy.

Tool exceptions are handled the way a production graph would: every agent uses
``ToolNode(handle_tool_errors=True)``, which records the tool run as failed (the callbacks see the
exception) and hands the model a ``ToolMessage`` with ``status="error"``; the agent continues.
(LangGraph's default handler re-raises anything but argument validation errors, which would turn
every tool failure into a failed run and a failed delegation as well.)

Each entry script only chooses the instrumentation; see ``main``.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from _scenario import (
    Tally,
    capture_json,
    gap,
    otlp_request,
    scenario_parser,
    setup_tracing,
    write_capture,
    write_ledger,
)
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.prebuilt import ToolNode, create_react_agent
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

LARGE_TEXT = 4_000  # characters above which summarize_text times out
BROKEN_MIRROR = "mirror.docs-cache.net"
REPEATED_REQUEST = "Why was I charged twice this month, and can you reverse the duplicate charge?"

ORCHESTRATOR, RESEARCHER, CODER = "orchestrator", "researcher", "coder"

# --- request texts -------------------------------------------------------------------------
# A request is four clauses: PROBLEMS[i], CONTEXTS[j], ENVIRONMENTS[(i + 2j) mod 15] and
# ASKS[(i + j) mod 15] (two orthogonal Latin squares), plus a pasted 32-hex reference. Two sessions
# share at most one clause, which keeps every pair of requests, sub-agent tasks included, at an
# ngramDistanceUTF8 above 0.45 (repeated_request clusters below 0.4): only REPEATED_REQUEST repeats.
PROBLEMS = (
    "Our nightly CSV export to the finance bucket stops halfway through",
    "The mobile app logs people out right after every release",
    "Webhook deliveries to our CRM arrive twice or not at all",
    "Search results on the help center ignore accented characters",
    "Invoices generated for annual plans show the monthly price",
    "The Grafana panel for queue depth went flat at zero",
    "Password reset emails land in spam for Outlook users",
    "Bulk user import rejects rows that have a plus sign in the address",
    "Our Terraform plan wants to recreate the load balancer each time",
    "PDF receipts render Japanese names as empty boxes",
    "The Slack integration posts alerts into the wrong channel",
    "Single sign-on with Okta fails for freshly invited teammates",
    "API pagination returns the same page when filters are combined",
    "Scheduled reports in Berlin time fire one hour early",
    "The data retention job deletes attachments that are still referenced",
)
CONTEXTS = (
    "ever since we moved the Frankfurt cluster onto the new pricing plan.",
    "but only for customers still on the legacy enterprise tier.",
    "after last Tuesday's upgrade of the Python SDK to version four.",
    "whenever more than about two hundred users are online at once.",
    "on the staging tenant, while production looks perfectly fine.",
    "although nothing changed on our side according to the audit log.",
    "and our compliance officer needs an answer before Friday's review.",
    "in the Android build; iOS users have not reported anything.",
    "for accounts created through the partner reseller portal.",
    "since somebody rotated the shared service credentials.",
    "only when the request goes through our corporate proxy in Singapore.",
    "in roughly one out of ten attempts, with no visible pattern.",
    "for the Portuguese and Brazilian locales in particular.",
    "right after the monthly billing cycle closes at midnight.",
    "on workspaces migrated from the old self-hosted edition.",
)
ASKS = (
    "Can you track down the cause and propose a fix?",
    "What does the documentation say, and is there a known workaround?",
    "Please write a small script that reproduces it and suggest a patch.",
    "Is this a known bug, and how do we stop it from happening again?",
    "Could you check our account settings and tell me what to change?",
    "I need a root-cause summary that I can forward to my manager.",
    "Which configuration flag controls this, and what value should it have?",
    "Give me step-by-step instructions that a junior admin can follow.",
    "How urgent is this, and what is the safest temporary mitigation?",
    "Show me the relevant code path and a unit test that covers it.",
    "Is there a migration guide that explains the new behaviour?",
    "We would like a patch today; what do you need from us for that?",
    "What logs should we collect so your engineers can dig into it?",
    "Can you compare this with how the previous release behaved?",
    "Suggest a monitoring check that would warn us next time.",
)
ENVIRONMENTS = (
    "We run the self-hosted edition 3.8 on Kubernetes.",
    "Everything sits behind Cloudflare with strict TLS.",
    "Our team uses the REST API from a Go microservice.",
    "The workspace has SCIM provisioning turned on.",
    "Data residency is pinned to the EU-West region.",
    "Most of our staff work from shared iPads in stores.",
    "We pay yearly and have about 1,800 seats.",
    "Backups are exported hourly to an S3 bucket we own.",
    "Audit logging is streamed into Splunk.",
    "Our admins rely on the Terraform provider for setup.",
    "The tenant was renamed after a merger in spring.",
    "Requests pass through a Java gateway we maintain.",
    "We enabled the beta UI for everyone last month.",
    "Support contracts here are under the premium SLA.",
    "Two-factor login is mandatory for all accounts.",
)

# Sub-agent tasks repeat the session's problem, context and environment clauses after an angle of
# their own (index (i + j) mod 15, like the ask): across sessions, two texts of any agent still
# share at most one clause.
RESEARCH_ANGLES = (
    "Collect release notes, open issues and forum threads that mention this:",
    "Look up vendor documentation and community answers describing it:",
    "Find changelog entries and support articles about the following:",
    "Search the knowledge base and status history for similar reports:",
    "Gather troubleshooting guides and earlier tickets that cover this:",
    "Check the public issue tracker for duplicates of the symptom below:",
    "Read the upgrade notes of the last three versions with an eye on:",
    "Dig through the incident postmortems of the past quarter related to:",
    "Compile what other customers wrote in the community forum regarding:",
    "Scan the API reference and its errata for anything explaining:",
    "Review the deprecation notices published this year concerning:",
    "Locate the internal runbook sections and FAQ entries that address:",
    "Summarize relevant Stack Overflow answers and vendor blog posts on:",
    "Cross-check the service status page archive and outage emails for:",
    "Pull together design documents and architecture decisions behind:",
)
CODING_ANGLES = (
    "Write a regression test and a minimal patch for this defect:",
    "Draft a diagnostic script, then a candidate fix, for the following:",
    "Prepare a code change with unit coverage addressing this report:",
    "Build a reproduction harness and propose a remedy for this case:",
    "Implement a guarded fix plus a failing-then-passing test concerning:",
    "Add structured logging around the faulty path, then patch the bug:",
    "Create a feature flag that disables the broken behaviour described here:",
    "Refactor the responsible module so the following no longer happens:",
    "Write a one-off data repair job and a preventive check for this issue:",
    "Pin the offending dependency and add a compatibility shim covering:",
    "Patch the configuration loader and extend its validation tests for:",
    "Add an integration test in CI that catches the problem stated here:",
    "Backport the upstream fix to our fork and verify it against this:",
    "Sketch a safe rollback procedure and automate it for the symptom:",
    "Introduce retries with idempotency keys to stop the misbehaviour:",
)
SEARCH_TERMS = ("release notes", "known issue", "workaround", "configuration", "changelog",
                "error code", "migration guide", "status incident")
PACKAGES = ("requests", "pydantic", "sqlalchemy", "boto3", "httpx", "celery", "pandas", "redis",
            "fastapi", "alembic", "jinja2", "numpy")
INDEXES = ("kb-main", "kb-billing", "kb-mobile", "kb-integrations", "kb-security")

# --- the plan of every session -------------------------------------------------------------


@dataclass
class ResearchPlan:
    """What the researcher does in one delegation."""

    question: str
    query: str
    url: str
    summary_text: str | None  # text handed to summarize_text, None = not called
    index: str
    index_checks: int  # 0, 1, or 3-4 identical calls (the retry loop)


@dataclass
class CodingPlan:
    """What the coder does in one delegation (fails = its model call fails)."""

    task: str
    fails: bool
    test_target: str
    package: str
    write_path: str | None


@dataclass
class SessionPlan:
    """One user request (a LangGraph thread) and what the agents do with it."""

    session_id: str
    request: str
    repeated: bool = False
    account: str | None = None
    research: ResearchPlan | None = None
    coding: CodingPlan | None = None


def _filler(rng: random.Random, size: int) -> str:
    """A document body of about ``size`` characters (the text a tool is asked to summarize)."""
    words = ("latency", "replica", "invoice", "tenant", "webhook", "retry", "cursor", "locale",
             "token", "bucket", "schema", "cluster", "quota", "session", "payload", "index")
    out: list[str] = []
    length = 0
    while length < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 14))).capitalize()
        out.append(sentence + ".")
        length += len(sentence) + 2
    return " ".join(out)


def plan_sessions(count: int, seed: int = 1) -> list[SessionPlan]:
    """Deterministic plans: varied healthy requests, 12 repeated ones, the injected gaps."""
    rng = random.Random(seed)
    if count <= 3:
        return showcase_sessions(rng)[:count]
    cells = [(i, j) for i in range(len(PROBLEMS)) for j in range(len(CONTEXTS))]
    rng.shuffle(cells)
    repeated_every = max(count // 12, 1) if count >= 24 else 0
    plans: list[SessionPlan] = []
    healthy = 0
    for number in range(count):
        session_id = f"lg-{seed}-{number:04d}-{rng.randrange(16**6):06x}"
        if repeated_every and number % repeated_every == repeated_every // 2 and \
                sum(p.repeated for p in plans) < 12:
            plans.append(SessionPlan(session_id, REPEATED_REQUEST, repeated=True))
            continue
        i, j = cells[healthy % len(cells)]
        k = (i + j) % len(ASKS)
        healthy += 1
        env = ENVIRONMENTS[(i + 2 * j) % len(ENVIRONMENTS)]
        ref = f"[{rng.randrange(16**32):032x}]"
        plan = SessionPlan(session_id, f"{PROBLEMS[i]} {CONTEXTS[j]} {env} {ASKS[k]} {ref}")
        if rng.random() < 0.35:
            plan.account = f"acct-{rng.randrange(10**5):05d}"
        use_research = rng.random() < 0.75
        use_coding = rng.random() < 0.45 or not use_research
        if use_research:
            plan.research = _research_plan(rng, i, j, healthy, ref)
        if use_coding:
            plan.coding = _coding_plan(rng, i, j, healthy, ref)
        plans.append(plan)
    _spread_failures(plans, rng)
    return plans


def showcase_sessions(rng: random.Random) -> list[SessionPlan]:
    """Three compact sessions that show every span shape (for ``--capture``; spans are large):
    a failing tool and a failing delegation; a failed root run; a soft failure and a refused
    write."""
    first = SessionPlan(f"lg-showcase-1-{rng.randrange(16**6):06x}",
                        f"{PROBLEMS[0]} {CONTEXTS[1]} {ASKS[1]}")
    first.research = ResearchPlan(
        f"{RESEARCH_ANGLES[0]} {PROBLEMS[0].lower()}", "csv export stops halfway",
        f"https://{BROKEN_MIRROR}/articles/0001", None, "kb-main", 0)
    first.coding = CodingPlan(f"{CODING_ANGLES[3]} {PROBLEMS[0]}.", True, "tests/test_export.py",
                              "pandas", None)
    second = SessionPlan(f"lg-showcase-2-{rng.randrange(16**6):06x}",
                         f"{PROBLEMS[4]} {CONTEXTS[6]} {ASKS[10]}")
    second.coding = CodingPlan(f"{CODING_ANGLES[0]} {PROBLEMS[4]}.", False,
                               "tests/test_invoice.py", "httpx", "/srv/prod/config/invoice.py")
    third = SessionPlan(f"lg-showcase-3-{rng.randrange(16**6):06x}", REPEATED_REQUEST,
                        repeated=True)
    return [first, third, second]


def _research_plan(rng: random.Random, i: int, j: int, number: int, ref: str) -> ResearchPlan:
    topic = PROBLEMS[i].lower()
    angle = RESEARCH_ANGLES[(i + j) % len(RESEARCH_ANGLES)]
    env = ENVIRONMENTS[(i + 2 * j) % len(ENVIRONMENTS)]
    question = f"{angle} {topic} {CONTEXTS[j]} {env} {ref}"
    host = BROKEN_MIRROR if rng.random() < 0.3 else rng.choice(
        ("docs.example.com", "support.example.com", "community.example.org"))
    url = f"https://{host}/articles/{number:04d}-{rng.randrange(10**4):04d}"
    summary: str | None = None
    if rng.random() < 0.75:
        size = rng.randint(4_200, 6_000) if rng.random() < 0.3 else rng.randint(200, 1_500)
        summary = _filler(rng, size)
    checks = 1 if rng.random() < 0.3 else 0
    query = f"{' '.join(topic.split()[:5])} {rng.choice(SEARCH_TERMS)}"
    return ResearchPlan(question, query, url, summary, rng.choice(INDEXES), checks)


def _coding_plan(rng: random.Random, i: int, j: int, number: int, ref: str) -> CodingPlan:
    angle = CODING_ANGLES[(i + j) % len(CODING_ANGLES)]
    env = ENVIRONMENTS[(i + 2 * j) % len(ENVIRONMENTS)]
    task = f"{angle} {PROBLEMS[i]} {CONTEXTS[j]} {env} {ref}"
    path: str | None = None
    if rng.random() < 0.75:
        folder = "/srv/prod/config" if rng.random() < 0.35 else "/workspace/patches"
        path = f"{folder}/fix_{number:04d}.py"
    return CodingPlan(task, False, f"tests/test_case_{number:04d}.py", rng.choice(PACKAGES), path)


def _spread_failures(plans: list[SessionPlan], rng: random.Random) -> None:
    """About 45 % of coder delegations fail; 8 research runs poll the index in a loop."""
    coding = [p.coding for p in plans if p.coding]
    for task in rng.sample(coding, round(len(coding) * 0.45)):
        task.fails = True
    research = [p.research for p in plans if p.research]
    for question in rng.sample(research, min(8, len(research) // 6)):
        question.index_checks = rng.choice((3, 4))
        question.index = "kb-main"


# --- the scripted model --------------------------------------------------------------------


class Director:
    """Hands each agent run its script: a queue of turn iterators per agent, filled per session."""

    def __init__(self) -> None:
        self.queues: dict[str, deque[Iterator[Any]]] = {}
        self.active: dict[str, Iterator[Any]] = {}
        self.calls = 0
        self.offers: Counter[tuple[str, str]] = Counter()

    def load(self, agent: str, script: Iterator[Any]) -> None:
        self.queues.setdefault(agent, deque()).append(script)

    def reset(self) -> None:
        self.queues.clear()
        self.active.clear()

    def next_turn(self, agent: str, messages: Sequence[Any], tools: Sequence[dict[str, Any]]
                  ) -> Any:
        for offered in tools:
            self.offers[(agent, offered["function"]["name"])] += 1
        if not any(isinstance(m, AIMessage) for m in messages):  # a new run of this agent
            self.active[agent] = self.queues[agent].popleft()
        turn = next(self.active[agent])
        if isinstance(turn, Exception):
            raise turn
        return turn

    def call_id(self) -> str:
        self.calls += 1
        return f"call_{self.calls:06d}"


class ScriptedChatModel(BaseChatModel):
    """A chat model whose answers come from the session's script, with tool calling."""

    agent: str
    director: Any
    model_name: str = "scripted-gpt-4o-mini"

    @property
    def _llm_type(self) -> str:
        return "scripted-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None,
                   **kwargs: Any) -> Any:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(self, messages: list[Any], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        turn: AIMessage = self.director.next_turn(self.agent, messages,
                                                  kwargs.get("tools") or [])
        chars = sum(len(str(m.content)) for m in messages)
        usage = {"input_tokens": 40 + 15 * len(messages) + chars // 400,
                 "output_tokens": 12 + len(str(turn.content)) // 40 + 18 * len(turn.tool_calls)}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        message = AIMessage(content=turn.content, tool_calls=turn.tool_calls,
                            usage_metadata=usage, response_metadata={
                                "model_name": self.model_name, "finish_reason":
                                "tool_calls" if turn.tool_calls else "stop"})
        token_usage = {"prompt_tokens": usage["input_tokens"],
                       "completion_tokens": usage["output_tokens"],
                       "total_tokens": usage["total_tokens"]}
        return ChatResult(generations=[ChatGeneration(message=message)],
                          llm_output={"token_usage": token_usage,
                                      "model_name": self.model_name})


# --- the agents ----------------------------------------------------------------------------


@dataclass
class Support:
    orchestrator: Any
    director: Director
    tally: Tally


def build(director: Director, tally: Tally) -> Support:
    """The three agents and their tools."""
    quota = Counter[str]()

    @tool
    def web_search(query: str) -> str:
        """Search the public web and the vendor forums; returns the top hits."""
        return json.dumps([{"title": f"{query} — result {n}", "url":
                            f"https://docs.example.com/search/{n}"} for n in range(1, 4)])

    @tool
    def fetch_page(url: str) -> str:
        """Download one web page and return its readable text."""
        if BROKEN_MIRROR in url:
            tally.add("fetch_failure")
            raise ConnectionError(f"GET {url} failed: upstream mirror answered 503 Service "
                                  "Unavailable")
        tally.add("fetch_ok")
        return f"Article at {url}: the behaviour is documented; apply the latest patch release."

    @tool
    def summarize_text(text: str) -> str:
        """Summarize a long document into a few sentences."""
        time.sleep(0.002)
        if len(text) > LARGE_TEXT:
            tally.add("summarize_timeout")
            raise TimeoutError(f"summarize_text timed out after 30 s ({len(text)} characters)")
        tally.add("summarize_small")
        return f"Summary ({len(text.split())} words): " + " ".join(text.split()[:12])

    @tool
    def check_index_status(index: str) -> str:
        """Report whether a knowledge-base search index is ready."""
        tally.add("index_check")
        return json.dumps({"index": index, "state": "rebuilding" if index == "kb-main" else
                           "ready", "documents": 18_240})

    @tool
    def run_tests(target: str) -> str:
        """Run one test module in the sandbox and report the result."""
        return json.dumps({"target": target, "passed": 14, "failed": 0, "duration_s": 3.2})

    @tool
    def pypi_lookup(package: str) -> dict[str, Any]:
        """Look up a package's latest version and known advisories on PyPI."""
        quota["calls"] += 1
        if quota["calls"] % 3 == 1:
            tally.add("pypi_soft_failure")
            return {"error": "quota exceeded", "retry_after_s": 3600}
        return {"package": package, "latest": "2.7.1", "advisories": []}

    @tool
    def write_file(path: str, content: str) -> str:
        """Write a file into the workspace."""
        if path.startswith("/srv/prod/"):
            tally.add("write_blocked")
            raise PermissionError(f"write to {path} denied by policy: production paths are "
                                  "read-only for agents")
        return f"wrote {len(content)} bytes to {path}"

    @tool
    def lookup_account(account_id: str) -> str:
        """Fetch a customer's account: plan, seats and recent charges."""
        return json.dumps({"account": account_id, "plan": "business", "seats": 42,
                           "charges": [{"amount": 420.0, "currency": "EUR"}]})

    @tool
    def escalate_to_human(reason: str) -> str:
        """Hand the conversation to a human support engineer."""
        return "escalated"

    def make_model(agent: str) -> Any:
        return ScriptedChatModel(agent=agent, director=director)

    researcher = create_react_agent(
        make_model(RESEARCHER),
        ToolNode([web_search, fetch_page, summarize_text, check_index_status],
                 handle_tool_errors=True),
        prompt="You research support questions with web search and documentation.",
        name=RESEARCHER,
    )
    coder = create_react_agent(
        make_model(CODER),
        ToolNode([run_tests, pypi_lookup, write_file], handle_tool_errors=True),
        prompt="You write and test small code changes for support cases.",
        name=CODER,
    )

    @tool
    def ask_researcher(question: str, config: RunnableConfig) -> str:
        """Delegate a research question to the researcher agent; returns its findings."""
        result = researcher.invoke({"messages": [HumanMessage(question)]}, config)
        return str(result["messages"][-1].content)

    @tool
    def ask_coder(task: str, config: RunnableConfig) -> str:
        """Delegate a coding task to the coder agent; returns its result."""
        tally.add("coder_delegation")
        try:
            result = coder.invoke({"messages": [HumanMessage(task)]}, config)
        except Exception:
            tally.add("coder_failure")
            raise
        return str(result["messages"][-1].content)

    orchestrator = create_react_agent(
        make_model(ORCHESTRATOR),
        ToolNode([lookup_account, ask_researcher, ask_coder, escalate_to_human],
                 handle_tool_errors=True),
        prompt="You are the support orchestrator. Delegate research and coding; answer briefly.",
        name=ORCHESTRATOR,
    )
    return Support(orchestrator, director, tally)


def _calls(director: Director, calls: list[tuple[str, dict[str, Any]]]) -> AIMessage:
    """An assistant turn requesting ``calls`` (several = parallel tool calls)."""
    return AIMessage(content="", tool_calls=[
        {"name": name, "args": args, "id": director.call_id(), "type": "tool_call"}
        for name, args in calls])


def _say(text: str) -> AIMessage:
    return AIMessage(content=text)


def orchestrator_script(director: Director, plan: SessionPlan, rng: random.Random
                        ) -> Iterator[Any]:
    if plan.repeated:  # a lookup, then the model call fails and the whole run with it
        yield _calls(director, [("lookup_account",
                                 {"account_id": f"acct-{rng.randrange(10**5):05d}"})])
        yield RuntimeError("orchestrator model call failed: billing history exceeds the context "
                           "window")
        return
    first = []
    if plan.account:
        first.append(("lookup_account", {"account_id": plan.account}))
    if plan.research:
        first.append(("ask_researcher", {"question": plan.research.question}))
    if first:  # independent calls go out together (parallel tool calls)
        yield _calls(director, first)
    if plan.coding:
        yield _calls(director, [("ask_coder", {"task": plan.coding.task})])
    yield _say("Here is what we found and what we changed; reply if anything is still off.")


def researcher_script(director: Director, plan: ResearchPlan) -> Iterator[Any]:
    yield _calls(director, [("web_search", {"query": plan.query}),
                            ("fetch_page", {"url": plan.url})])
    for _ in range(plan.index_checks):  # identical polls, one after the other: the retry loop
        yield _calls(director, [("check_index_status", {"index": plan.index})])
    if plan.summary_text is not None:  # last: a long text is repeated in every later span
        yield _calls(director, [("summarize_text", {"text": plan.summary_text})])
    yield _say("Findings: the issue is documented upstream; a patch release fixes it.")


def coder_script(director: Director, plan: CodingPlan) -> Iterator[Any]:
    if plan.fails:
        yield ValueError("coder model output failed schema validation: no patch plan produced")
        return
    yield _calls(director, [("pypi_lookup", {"package": plan.package}),
                            ("run_tests", {"target": plan.test_target})])
    if plan.write_path:
        patch = "def fix() -> None:\n    return None\n"
        yield _calls(director, [("write_file", {"path": plan.write_path, "content": patch})])
    yield _say("Patch prepared and tests pass.")


def run_session(support: Support, plan: SessionPlan, rng: random.Random) -> bool:
    """One user request; returns whether the root run succeeded."""
    director = support.director
    director.reset()
    support.tally.session = plan.session_id
    director.load(ORCHESTRATOR, orchestrator_script(director, plan, rng))
    if plan.research:
        director.load(RESEARCHER, researcher_script(director, plan.research))
    if plan.coding:
        director.load(CODER, coder_script(director, plan.coding))
    config: dict[str, Any] = {"configurable": {"thread_id": plan.session_id}}
    try:
        support.orchestrator.invoke({"messages": [HumanMessage(plan.request)]}, config)
    except RuntimeError:  # the repeated request's runs end here
        if not plan.repeated:
            raise
        support.tally.add("root_failure")
        return False
    return True


# --- ledger --------------------------------------------------------------------------------


def ledger_gaps(plans: list[SessionPlan], tally: Tally, director: Director
                ) -> list[dict[str, str]]:
    """The injected gaps that reached the brief's minimums in this run."""
    events = tally.counts
    gaps: list[dict[str, str]] = []
    if events["fetch_failure"] >= 10 and tally.spread("fetch_failure") >= 3:
        gaps.append(gap("tool_failure_hotspot", "fetch_page", RESEARCHER))
    if events["summarize_timeout"] >= 10 and events["summarize_small"] >= 20:
        gaps.append(gap("timeout_input_correlation", "summarize_text", RESEARCHER))
    if events["pypi_soft_failure"] >= 8 and tally.spread("pypi_soft_failure") >= 3:
        gaps.append(gap("soft_failure", "pypi_lookup", CODER))
    if events["write_blocked"] >= 5 and tally.spread("write_blocked") >= 3:
        gaps.append(gap("permission_blocked", "write_file", CODER))
    if director.offers[(ORCHESTRATOR, "escalate_to_human")] >= 30:
        gaps.append(gap("unused_tool", "escalate_to_human", ORCHESTRATOR))
    loops = sum(1 for p in plans if p.research and p.research.index_checks >= 3)
    if loops >= 5:
        gaps.append(gap("retry_loop", "check_index_status", RESEARCHER))
    if events["root_failure"] >= 10:
        gaps.append(gap("repeated_request", "", ORCHESTRATOR))
    delegations = events["coder_delegation"]
    if delegations >= 15 and events["coder_failure"] >= 0.4 * delegations:
        gaps.append(gap("delegation_failure", "", ORCHESTRATOR, CODER))
    return gaps


# --- the program ---------------------------------------------------------------------------


CAPTURE_BUDGET = 295_000  # bytes of the capture file
PLUMBING_LEAVES = ("call_model", "Prompt", "should_continue")


def capture_spans(spans: Sequence[ReadableSpan], budget: int = CAPTURE_BUDGET
                  ) -> list[ReadableSpan]:
    """Whole traces, oldest first, those whose compact OTLP/JSON fits in ``budget``. LangGraph
    states are repeated in almost every span, so a session takes 100-350 KB: LangChain's plumbing
    leaves (``call_model``, ``Prompt``, ``should_continue``; the OpenLLMetry names carry an
    ``execute_task`` prefix) are kept only at their first occurrence. Every other span is kept
    unchanged."""
    traces: dict[int, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        traces.setdefault(span.context.trace_id, []).append(span)
    seen: set[str] = set()
    kept: list[ReadableSpan] = []
    for members in traces.values():
        chosen = []
        for span in members:
            leaf = span.name.removeprefix("execute_task ")
            if leaf in PLUMBING_LEAVES and leaf in seen:
                continue
            seen.add(leaf)
            chosen.append(span)
        if len(capture_json(otlp_request(kept + chosen))) <= budget:
            kept.extend(chosen)
    return kept


def main(setup: str, instrument: Callable[[TracerProvider], None]) -> None:
    """Run the scenario under one instrumentation and write the ledger (and a capture)."""
    args = scenario_parser(__doc__).parse_args()
    tracing = setup_tracing(f"support-bot-{setup}", capture=args.capture is not None)
    instrument(tracing.provider)

    started = time.monotonic()
    director, tally = Director(), Tally()
    support = build(director, tally)
    plans = plan_sessions(args.sessions)
    rng = random.Random(11)
    failed = sum(not run_session(support, plan, rng) for plan in plans)
    ran = time.monotonic() - started
    tracing.shutdown()

    delegations = [(ORCHESTRATOR, target)
                   for target, used in ((RESEARCHER, any(p.research for p in plans)),
                                        (CODER, any(p.coding for p in plans))) if used]
    gaps = ledger_gaps(plans, tally, director)
    spans = tracing.counter.count
    write_ledger(args.ledger, spans, gaps, delegations)
    if args.capture:
        write_capture(args.capture, otlp_request(capture_spans(tracing.captured())))
    print(json.dumps({"setup": setup, "sessions": len(plans), "failed_roots": failed,
                      "spans": spans, "run_s": round(ran, 1),
                      "total_s": round(time.monotonic() - started, 1),
                      "events": dict(tally.counts), "gaps": len(gaps)}))
