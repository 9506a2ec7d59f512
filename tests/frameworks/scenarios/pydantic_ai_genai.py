"""pydantic-ai under its own OpenTelemetry instrumentation (``Agent.instrument_all``).

A support bot for a developer platform: ``orchestrator`` answers the customer, looks accounts up
itself and delegates the pydantic-ai way — its tools ``ask_researcher`` and ``ask_coder`` run the
sub-agent with ``await agent.run(..., usage=ctx.usage, conversation_id=ctx.conversation_id)``, so
each sub-agent's ``invoke_agent`` span nests inside the orchestrator's ``execute_tool`` span.
Every agent's model is a scripted ``FunctionModel``; nothing touches the network. The session is
pydantic-ai's own conversation id (``run(..., conversation_id=...)``), passed on to sub-agents.

Injected gaps, one root cause each:

* ``tool_failure_hotspot`` — researcher's ``fetch_page`` raises ``ToolFailed`` (pydantic-ai's
  non-fatal tool failure) with the same upstream error in ~30 % of its calls.
* ``timeout_input_correlation`` — researcher's ``summarize_text`` has pydantic-ai's own per-tool
  ``timeout``; texts over ~4,000 characters exceed it, the framework turns that into a retry
  prompt "Timed out after 0.05 seconds." (span ERROR, ``ToolRetryError``).
* ``soft_failure`` — orchestrator's ``lookup_account`` returns ``{"error": "quota exceeded"}``.
* ``unused_tool`` — researcher is offered ``translate_text`` in every request, never calls it.
* ``retry_loop`` — coder calls ``run_tests`` three times with identical arguments in some runs.
* ``repeated_request`` — one refund request, asked in many sessions, which orchestrator never
  resolves: its output validator rejects every answer, the run ends with
  ``UnexpectedModelBehavior: Exceeded maximum output retries``.
* ``delegation_failure`` — orchestrator → coder fails in ~45 % of delegations: coder's patches
  do not compile, its output validator exhausts the retries and coder's run raises;
  ``ask_coder`` reports it to orchestrator as ``ToolFailed`` (orchestrator still answers).
* ``permission_blocked`` — coder's ``write_file`` refuses protected paths with ``ToolFailed``
  ("... denied by policy ..."): a plain ``PermissionError`` would abort the whole run in
  pydantic-ai, so the non-fatal failure is the natural shape.

    python pydantic_ai_genai.py LEDGER.json [--sessions 150] [--capture spans.json]

Without ``OTEL_EXPORTER_OTLP_ENDPOINT`` and with ``--capture`` nothing is exported over OTLP.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _scenario import (
    Tally,
    gap,
    otlp_request,
    scenario_parser,
    setup_tracing,
    write_capture,
    write_ledger,
)
from pydantic_ai import Agent, ModelRetry, RunContext, ToolFailed, UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.usage import RequestUsage

SERVICE = "support-bot-pydantic-ai-genai"
MODEL = "scripted-gpt"
TOOL_TIMEOUT = 0.05  # seconds; large texts "take" longer, small ones never reach an await
LARGE_TEXT = 4_000
PROTECTED = ("deploy/", ".github/workflows/", "infra/prod/")
REPEATED_REQUEST = ("I was charged twice for my annual plan this month, please refund the "
                    "duplicate payment to my card.")

# (customer request, question for researcher, task for coder): distinct intents
REQUESTS: list[tuple[str, str, str]] = [
    ("Our webhook deliveries started failing with 401 after we rotated the signing secret.",
     "How are webhook signing secrets rotated and validated?",
     "Update the webhook verifier in hooks/verify.py to accept both old and new secrets."),
    ("How do I move my workspace from the EU region to the US region?",
     "What is the procedure for migrating a workspace between regions?",
     "Write a script scripts/region_export.py that exports workspace settings to JSON."),
    ("The CLI crashes with a segfault on Apple Silicon when I run `deploy --watch`.",
     "Are there known CLI crashes on arm64 macOS with the watch flag?",
     "Add an arm64 guard to cli/watch.py that falls back to polling."),
    ("Can you explain why my build minutes doubled since last Tuesday?",
     "What changed in build minute accounting recently?",
     "Add a per-day breakdown of build minutes to reports/usage.py."),
    ("We need SAML SSO with Okta, where do I upload the metadata XML?",
     "How is SAML single sign-on configured with Okta?",
     "Parse the Okta metadata XML in auth/saml.py and extract the signing certificate."),
    ("Preview environments never get torn down after the pull request closes.",
     "How does automatic cleanup of preview environments work?",
     "Add a cleanup job in jobs/previews.py that deletes previews of closed pull requests."),
    ("Is there a way to pin the Node version used by the build image?",
     "Which runtime versions can be pinned in the build configuration?",
     "Read the engines field from package.json in build/node.py and select the image tag."),
    ("My custom domain shows a certificate error for the www subdomain only.",
     "How are TLS certificates issued for apex and www domains?",
     "Add www aliases to the certificate request built in certs/issue.py."),
    ("The audit log export to S3 stopped a week ago without any error.",
     "How does the audit log S3 export report failures?",
     "Log and retry failed uploads in exports/audit_s3.py with exponential backoff."),
    ("How can I give a contractor read-only access to just one project?",
     "What project-level roles exist and can they be scoped to one project?",
     "Add a read-only project role to rbac/roles.py with the matching permissions."),
    ("Environment variables with a dollar sign get mangled in my deployments.",
     "How are environment variable values escaped during deployment?",
     "Escape dollar signs when rendering env files in release/render_env.py."),
    ("We keep hitting the API rate limit from our monitoring integration.",
     "What are the API rate limits and how are they counted per token?",
     "Add client-side throttling to integrations/monitor_client.py."),
    ("Please explain the difference between the Team and Business plans for storage.",
     "How do storage quotas differ between the Team and Business plans?",
     "Expose the storage quota per plan in billing/plans.py as a typed constant."),
    ("Cron jobs run twice whenever we deploy during the scheduled minute.",
     "How are scheduled jobs deduplicated across deployments?",
     "Add a distributed lock around cron dispatch in scheduler/cron.py."),
    ("Our monorepo build times out while installing dependencies for all packages.",
     "How does dependency caching work for monorepos?",
     "Cache the pnpm store per lockfile hash in build/cache.py."),
    ("How do I rotate the database password without downtime?",
     "What is the zero-downtime procedure for managed database credential rotation?",
     "Support two active database passwords in db/credentials.py during rotation."),
    ("The status badge in our README always says 'unknown'.",
     "How is the build status badge endpoint resolved for a repository?",
     "Return the latest build state from the badge handler in web/badge.py."),
    ("Logs from our worker processes are missing in the log explorer.",
     "Which process types forward their stdout to the log explorer?",
     "Forward worker stdout through the log shipper configured in logging/ship.py."),
    ("Can I set a spending cap so that we never pay more than 500 dollars a month?",
     "Does the billing system support hard spending caps?",
     "Enforce a monthly spending cap check in billing/caps.py before scaling up."),
    ("Deploy hooks from GitLab are ignored since we renamed the default branch to main.",
     "How are deploy hooks matched to the production branch?",
     "Read the default branch from the repository settings in hooks/gitlab.py."),
    ("Two-factor codes from our authenticator app are always rejected.",
     "What clock drift is tolerated when validating TOTP codes?",
     "Allow one step of clock drift when checking TOTP codes in auth/totp.py."),
    ("We'd like to receive an alert in Slack when a deployment fails.",
     "Which notification channels support deployment failure events?",
     "Post a Slack message from notify/slack.py when a deployment fails."),
    ("The image optimization service returns blurry thumbnails for PNG files.",
     "Which quality settings does the image optimizer use for PNG output?",
     "Keep PNG output lossless in images/optimize.py unless the caller asks for lossy."),
    ("How do I delete a project permanently, including its backups?",
     "What is the retention and deletion policy for project backups?",
     "Add a purge option to admin/delete_project.py that also removes backups."),
    ("Our staging database restore from last night's snapshot is stuck at 90 percent.",
     "Why would a snapshot restore stall near the end?",
     "Report restore progress per table in db/restore.py instead of one percentage."),
    ("Is it possible to run the build on our own self-hosted runner?",
     "How are self-hosted build runners registered?",
     "Add a registration command for self-hosted runners to cli/runner.py."),
    ("Health checks fail right after deploy because the app needs 40 seconds to warm up.",
     "How is the health check grace period configured?",
     "Read a health check grace period from the service manifest in release/health.py."),
    ("We were invoiced in euros although our billing address is in Canada.",
     "How is the invoice currency chosen for an organization?",
     "Derive the invoice currency from the billing country in billing/currency.py."),
    ("The API returns 500 when I filter deployments by a tag containing a slash.",
     "How are tag filters encoded in the deployments API?",
     "URL-decode tag filters before querying in api/deployments.py."),
    ("Git submodules are not checked out during the build.",
     "Does the build checkout step support git submodules?",
     "Initialise submodules recursively in build/checkout.py when .gitmodules exists."),
    ("How do I configure a redirect from the old blog path to the new docs site?",
     "How are path redirects declared in the routing configuration?",
     "Support wildcard path redirects in routing/redirects.py."),
    ("Our Terraform provider plan shows a diff on every run for the same service.",
     "Which service attributes cause perpetual diffs in the Terraform provider?",
     "Normalise the ordering of environment variables in terraform/service.go export."),
    ("Container memory keeps growing until the instance gets OOM killed.",
     "How are memory limits enforced for containers and how is usage reported?",
     "Add a memory usage sampler to metrics/memory.py that reports RSS every minute."),
    ("Where can I find the IP ranges to allow-list in our corporate firewall?",
     "Which egress IP ranges do build and runtime traffic use?",
     "Publish the egress IP ranges as JSON from web/ip_ranges.py."),
    ("The usage dashboard shows zero requests although our site gets traffic.",
     "How is request analytics data collected and how long is the delay?",
     "Fix the timezone handling of the request counters in analytics/requests.py."),
    ("Can we export our deployment history to a CSV file for the auditors?",
     "Is there an export of deployment history and which fields does it contain?",
     "Add a CSV export of deployment history to reports/deployments.py."),
    ("The Python buildpack picks 3.9 even though runtime.txt says 3.12.",
     "How does the Python buildpack choose the interpreter version?",
     "Read runtime.txt before pyproject.toml in build/python_version.py."),
    ("How do I transfer ownership of the organization to a colleague?",
     "What is the process for transferring organization ownership?",
     "Add an ownership transfer endpoint to api/organizations.py with confirmation."),
    ("Our websocket connections drop every 60 seconds behind the load balancer.",
     "What idle timeout does the load balancer apply to websocket connections?",
     "Send websocket ping frames every 30 seconds from realtime/socket.py."),
    ("Secrets from the vault integration are not available during the build step.",
     "At which phases are vault secrets injected into builds and deployments?",
     "Inject vault secrets into the build environment in build/secrets.py."),
    ("We need a copy of the data processing agreement signed by your side.",
     "Where is the signed data processing agreement published for customers?",
     "Generate the DPA download link in legal/documents.py for the account owner."),
    ("Rollbacks take fifteen minutes; can they be faster?",
     "How do rollbacks work and what determines their duration?",
     "Reuse the previous build artifact in release/rollback.py instead of rebuilding."),
    ("Autoscaling never scales below three instances even at night.",
     "How is the minimum instance count for autoscaling determined?",
     "Allow a scheduled minimum instance count in scaling/policy.py."),
    ("Emails to invite new teammates end up in spam for Outlook users.",
     "Which sender domain and authentication records do invitation emails use?",
     "Add a DKIM signature to outgoing invitation mails in mail/invite.py."),
    ("Our GraphQL endpoint is slow only on cold starts in the Sydney region.",
     "How are cold starts handled in regions with low traffic?",
     "Keep one warm instance per region in scaling/warm_pool.py when traffic is low."),
]

ANSWERS = [
    "Here is what I found and the change that fixes it.",
    "I looked into this for you; the details are below.",
    "Thanks for the report, this is resolved now.",
    "That is supported; here is how to set it up.",
    "I checked your account and the documentation; summary below.",
]
SUFFIXES = ["", " Thanks!", " This is blocking our release.", " Any help appreciated.",
            " We are on the Business plan.", " It worked fine last month."]
WORDS = ("deployment build region cache secret token webhook runner image log metric quota "
         "invoice project team policy request latency certificate domain branch rollback "
         "snapshot restore limit schedule worker memory instance database export audit").split()


@dataclass
class Research:
    question: str
    fetch_fails: bool
    summary_chars: int  # 0: no summarize_text call


@dataclass
class Coding:
    task: str
    outcome: str  # "ok" | "loop" | "blocked" | "broken"


@dataclass
class Plan:
    """Everything one session does, drawn up front so tools and models agree."""

    session_id: str
    request: str
    customer: str
    lookup: str = ""  # "" (no lookup) | "ok" | "quota"
    research: Research | None = None
    coding: Coding | None = None
    refund_loop: bool = False


PLAN: ContextVar[Plan] = ContextVar("plan")
TALLY = Tally()


# --- scripted models --------------------------------------------------------------------------


def _step(messages: list[ModelMessage]) -> int:
    """The model's turn in this run: one per response already in the run's history."""
    return sum(isinstance(message, ModelResponse) for message in messages)


def _reply(parts: list[Any], step: int) -> ModelResponse:
    """A response with fixed, modest usage: token volume is not what this scenario tests."""
    usage = RequestUsage(input_tokens=220 + 35 * step, output_tokens=45)
    return ModelResponse(parts=parts, usage=usage)


def _call(tool: str, **args: Any) -> ToolCallPart:
    return ToolCallPart(tool_name=tool, args=args)


def _document(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    while sum(len(word) + 1 for word in words) < chars:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:chars]


async def orchestrator_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    plan, step = PLAN.get(), _step(messages)
    calls: list[ToolCallPart] = []
    if plan.lookup:
        calls.append(_call("lookup_account", customer_id=plan.customer))
    if plan.research:
        calls.append(_call("ask_researcher", question=plan.research.question))
    if plan.coding:
        calls.append(_call("ask_coder", task=plan.coding.task))
    if step < len(calls):
        return _reply([calls[step]], step)
    if plan.refund_loop:  # promises what it cannot do; the output validator rejects it
        return _reply([TextPart("I have issued a refund for the duplicate charge.")], step)
    return _reply([TextPart(ANSWERS[len(plan.request) % len(ANSWERS)])], step)


async def researcher_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    plan, step = PLAN.get(), _step(messages)
    research = plan.research
    assert research is not None
    slug = re.sub(r"[^a-z0-9]+", "-", research.question.lower()).strip("-")[:48]
    calls = [_call("search_docs", query=research.question),
             _call("fetch_page", url=f"https://docs.example.com/{slug}")]
    if research.summary_chars:
        rng = random.Random(plan.session_id)
        calls.append(_call("summarize_text", text=_document(rng, research.summary_chars)))
    if step < len(calls):
        return _reply([calls[step]], step)
    return _reply([TextPart(f"Findings for '{research.question}': see the linked page.")], step)


GOOD_CODE = "def apply(config):\n    return {**config, 'fixed': True}\n"
GOOD_PATCH = f"```python\n{GOOD_CODE}```"
BROKEN_PATCH = "```python\ndef apply(config:\n    return {**config, 'fixed': True}\n```"


async def coder_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    plan, step = PLAN.get(), _step(messages)
    coding = plan.coding
    assert coding is not None
    found = re.search(r"[\w.-]+/[\w./-]*\w\.\w+", coding.task)
    source = found.group(0) if found else "app/main.py"
    test_path = "tests/test_" + Path(source).stem + ".py"
    calls = [_call("read_file", path=source)]
    if coding.outcome == "broken":
        if step < 1:
            return _reply([calls[step]], step)
        return _reply([TextPart(f"Patch for {source}:\n{BROKEN_PATCH}")], step)
    calls.append(_call("run_tests", path=test_path))
    if coding.outcome == "loop":  # re-runs the same tests hoping a flaky one passes
        calls += [_call("run_tests", path=test_path), _call("run_tests", path=test_path)]
    target = f"{PROTECTED[len(source) % len(PROTECTED)]}{Path(source).name}" \
        if coding.outcome == "blocked" else source
    calls.append(_call("write_file", path=target, content=GOOD_CODE))
    if step < len(calls):
        return _reply([calls[step]], step)
    return _reply([TextPart(f"Patch for {source}:\n{GOOD_PATCH}")], step)


# --- agents and tools ---------------------------------------------------------------------------

orchestrator = Agent(FunctionModel(orchestrator_model, model_name=MODEL), name="orchestrator",
                     instructions="You are the support bot. Answer the customer; delegate "
                                  "research to researcher and code changes to coder.")
researcher = Agent(FunctionModel(researcher_model, model_name=MODEL), name="researcher",
                   instructions="You research the product documentation.")
coder = Agent(FunctionModel(coder_model, model_name=MODEL), name="coder",
              instructions="You write small, compiling patches.")


@orchestrator.output_validator
async def no_false_promises(ctx: RunContext[Any], answer: str) -> str:
    """The bot has no refund tool: an answer claiming a refund must be rewritten."""
    if "issued a refund" in answer:
        raise ModelRetry("This assistant cannot issue refunds; do not claim that one was issued.")
    return answer


@coder.output_validator
async def patch_compiles(ctx: RunContext[Any], answer: str) -> str:
    """A patch that does not compile is sent back to the model."""
    match = re.search(r"```python\n(.*?)```", answer, re.DOTALL)
    if match:
        try:
            compile(match.group(1), "<patch>", "exec")
        except SyntaxError as error:
            raise ModelRetry(f"patch does not compile: {error.msg} (line {error.lineno})") \
                from None
    return answer


@orchestrator.tool_plain
async def lookup_account(customer_id: str) -> dict[str, Any]:
    """Look up the customer's plan and recent invoices."""
    plan = PLAN.get()
    if plan.lookup == "quota":
        TALLY.add("soft_failure", plan.session_id)
        return {"error": "quota exceeded"}
    return {"customer_id": customer_id, "plan": "business", "seats": 14, "open_invoices": 0}


@orchestrator.tool
async def ask_researcher(ctx: RunContext[Any], question: str) -> str:
    """Ask the researcher agent a documentation question."""
    TALLY.add("delegation:researcher", PLAN.get().session_id)
    result = await researcher.run(question, usage=ctx.usage, conversation_id=ctx.conversation_id)
    return result.output


@orchestrator.tool
async def ask_coder(ctx: RunContext[Any], task: str) -> str:
    """Ask the coder agent to implement a code change."""
    TALLY.add("delegation:coder", PLAN.get().session_id)
    try:
        result = await coder.run(task, usage=ctx.usage, conversation_id=ctx.conversation_id)
    except UnexpectedModelBehavior as error:
        TALLY.add("delegation:coder:failed", PLAN.get().session_id)
        raise ToolFailed(f"coder could not complete the task: {error}") from error
    return result.output


@researcher.tool_plain
async def search_docs(query: str) -> list[dict[str, str]]:
    """Search the product documentation."""
    slug = re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-")[:48]
    return [{"title": query.rstrip("?"), "url": f"https://docs.example.com/{slug}"}]


@researcher.tool_plain
async def fetch_page(url: str) -> str:
    """Fetch a documentation page as text."""
    plan = PLAN.get()
    TALLY.add("fetch_page", plan.session_id)
    if plan.research and plan.research.fetch_fails:
        TALLY.add("fetch_page:failed", plan.session_id)
        raise ToolFailed("upstream returned 502 Bad Gateway for docs.example.com")
    return f"Page {url}: step-by-step instructions and limits."


@researcher.tool_plain(timeout=TOOL_TIMEOUT)
async def summarize_text(text: str) -> str:
    """Summarize a long text in three sentences."""
    session = PLAN.get().session_id
    if len(text) > LARGE_TEXT:
        TALLY.add("summarize:large", session)
        await asyncio.sleep(TOOL_TIMEOUT * 6)  # cancelled by the tool timeout
        return "unreachable"
    TALLY.add("summarize:small", session)
    return " ".join(text.split()[:25])


@researcher.tool_plain
async def translate_text(text: str, target_language: str) -> str:
    """Translate a text into another language (offered, never used)."""
    return text


@coder.tool_plain
async def read_file(path: str) -> str:
    """Read a file of the customer's repository."""
    return f"# {path}\ndef apply(config):\n    return config\n"


@coder.tool_plain
async def run_tests(path: str) -> dict[str, Any]:
    """Run one test module and report the counts."""
    return {"module": path, "passed": 41, "skipped": 2, "flaky": ["test_retry_backoff"]}


@coder.tool_plain
async def write_file(path: str, content: str) -> dict[str, Any]:
    """Write a file of the customer's repository."""
    if path.startswith(PROTECTED):
        TALLY.add("write_file:blocked", PLAN.get().session_id)
        raise ToolFailed(f"write access to {path} denied by policy: protected path")
    return {"path": path, "bytes": len(content)}


# --- sessions ----------------------------------------------------------------------------------


def showcase(index: int, session: str, customer: str) -> Plan | None:
    """The first sessions show every shape once, so a small capture holds them all."""
    if index > 3:
        return None
    request, question, task = REQUESTS[index]
    if index == 0:
        return Plan(session, request, customer, lookup="ok",
                    research=Research(question, True, 4_600), coding=Coding(task, "broken"))
    if index == 1:
        return Plan(session, request, customer, lookup="quota",
                    research=Research(question, False, 900), coding=Coding(task, "blocked"))
    if index == 2:
        return Plan(session, REPEATED_REQUEST, customer, lookup="ok", refund_loop=True)
    if index == 3:
        return Plan(session, request, customer, coding=Coding(task, "loop"))
    return None


def draw_plans(count: int, rng: random.Random) -> list[Plan]:
    """Varied healthy sessions with the gaps mixed in; every ~13th session is the refund."""
    plans: list[Plan] = []
    failed_tasks: set[str] = set()  # a broken task fails once: no repeated unresolved requests
    coder_calls = 0
    for index in range(count):
        session = f"conv-{index:04d}-{rng.getrandbits(32):08x}"
        customer = f"cus_{rng.getrandbits(24):06x}"
        shown = showcase(index, session, customer)
        if shown or index % 13 == 5:
            plan = shown or Plan(session, REPEATED_REQUEST, customer, lookup="ok",
                                 refund_loop=True)
            if plan.coding:
                coder_calls += 1
                if plan.coding.outcome == "broken":
                    failed_tasks.add(plan.coding.task)
            plans.append(plan)
            continue
        request, question, task = REQUESTS[rng.randrange(len(REQUESTS))]
        plan = Plan(session, request + rng.choice(SUFFIXES), customer)
        if rng.random() < 0.5:
            plan.lookup = "quota" if rng.random() < 0.25 else "ok"
        if rng.random() < 0.65 or not plan.lookup:
            large = rng.random() < 0.3
            summary = 0 if rng.random() < 0.15 else \
                (rng.randint(4_500, 9_000) if large else rng.randint(300, 2_500))
            plan.research = Research(question, rng.random() < 0.3, summary)
        if rng.random() < 0.4:
            coder_calls += 1
            roll = rng.random()
            # about half of the delegations fail, each failing task text only once
            if len(failed_tasks) < 0.5 * coder_calls and task not in failed_tasks:
                failed_tasks.add(task)
                outcome = "broken"
            else:
                outcome = "loop" if roll > 0.74 else "blocked" if roll > 0.58 else "ok"
            plan.coding = Coding(task, outcome)
        plans.append(plan)
    return plans


async def run_session(plan: Plan, limit: asyncio.Semaphore) -> None:
    async with limit:
        PLAN.set(plan)
        if plan.coding and plan.coding.outcome == "loop":
            TALLY.add("run_tests:loop", plan.session_id)
        if plan.research:
            TALLY.add("researcher:requests", plan.session_id,
                      3 + (1 if plan.research.summary_chars else 0))
        try:
            await orchestrator.run(plan.request, conversation_id=plan.session_id)
        except UnexpectedModelBehavior:
            TALLY.add("refund:unresolved" if plan.refund_loop else "root:unresolved",
                      plan.session_id)


def ledger_gaps() -> list[dict[str, str]]:
    """The injected gaps that reached the brief's minimum support in this run."""
    c, s = TALLY.counts, TALLY.spread
    gaps = []
    if c["fetch_page:failed"] >= 10 and s("fetch_page:failed") >= 3:
        gaps.append(gap("tool_failure_hotspot", "fetch_page", "researcher"))
    if c["summarize:large"] >= 15 and c["summarize:small"] >= 30:
        gaps.append(gap("timeout_input_correlation", "summarize_text", "researcher"))
    if c["soft_failure"] >= 8 and s("soft_failure") >= 3:
        gaps.append(gap("soft_failure", "lookup_account", "orchestrator"))
    if c["researcher:requests"] >= 30:
        gaps.append(gap("unused_tool", "translate_text", "researcher"))
    if s("run_tests:loop") >= 5:
        gaps.append(gap("retry_loop", "run_tests", "coder"))
    if s("refund:unresolved") >= 10:
        gaps.append(gap("repeated_request", "", "orchestrator"))
    coder_calls, coder_failed = c["delegation:coder"], c["delegation:coder:failed"]
    if coder_calls >= 15 and coder_failed >= 0.4 * coder_calls:
        gaps.append(gap("delegation_failure", "", "orchestrator", "coder"))
    if c["write_file:blocked"] >= 3 and s("write_file:blocked") >= 2:
        gaps.append(gap("permission_blocked", "write_file", "coder"))
    return gaps


def main() -> None:
    parser = scenario_parser(__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=6)
    args = parser.parse_args()

    tracing = setup_tracing(SERVICE, capture=args.capture is not None)
    # pydantic-ai's own instrumentation, the documented way, default version, content on
    Agent.instrument_all(InstrumentationSettings(include_content=True))

    started = time.monotonic()
    plans = draw_plans(args.sessions, random.Random(args.seed))
    limit = asyncio.Semaphore(args.concurrency)

    async def run_all() -> None:
        await asyncio.gather(*(run_session(plan, limit) for plan in plans))

    asyncio.run(run_all())
    tracing.shutdown()

    delegations = [("orchestrator", target)
                   for target in ("researcher", "coder") if TALLY.counts[f"delegation:{target}"]]
    gaps = ledger_gaps()
    spans = tracing.counter.count
    write_ledger(args.ledger, spans, gaps, delegations)
    if args.capture:
        write_capture(args.capture, otlp_request(tracing.captured()))
    print(json.dumps({"seconds": round(time.monotonic() - started, 1), "spans": spans,
                      "tally": dict(TALLY.counts), "gaps": len(gaps)}),
          file=sys.stderr)


if __name__ == "__main__":
    main()
