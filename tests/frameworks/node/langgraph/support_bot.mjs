// LangGraph.js support-bot scenario shared by the LangGraph.js conformance setups.
//
// Three `createReactAgent` graphs (@langchain/langgraph/prebuilt) named `orchestrator`,
// `researcher` and `coder`. The orchestrator delegates through two tools, `ask_researcher` and
// `ask_coder` (agents as tools): each invokes the sub-agent's graph with the RunnableConfig the
// tool was called with, so the sub-agent's runs nest under the delegating tool call. With
// `--detached-subagents` the config is not handed on (to see what the instrumentations make of a
// sub-agent started without its caller's context). Every model is a scripted `BaseChatModel`
// subclass whose `bindTools` binds OpenAI-style tool schemas; nothing touches the network.
//
// Injected gaps, one root cause each:
// * tool_failure_hotspot: researcher `fetch_page` throws for pages on the broken mirror (~30 %).
// * timeout_input_correlation: researcher `summarize_text` throws "... timed out after 30 s" when
//   its `text` is longer than 4,000 characters (LangChain.js has no per-tool timeout; a
//   RunnableConfig `timeout` covers a whole invocation).
// * soft_failure: coder `npm_lookup` returns {"error": "quota exceeded"} on every third call.
// * permission_blocked: coder `write_file` throws "... denied by policy ..." for production paths.
// * unused_tool: orchestrator `escalate_to_human` is offered on every model call, never called.
// * retry_loop: in 8 research runs the researcher calls `check_index_status` 3-4 times in a row
//   with identical arguments.
// * repeated_request: one billing question asked in 12 sessions; the orchestrator looks up an
//   account, then its model call fails, so the root graph run rejects.
// * delegation_failure: the coder's model call fails in ~45 % of delegations, so the coder graph
//   rejects and `ask_coder` throws; researcher delegations stay healthy.
//
// Tool errors are handled by LangGraph's ToolNode (handleToolErrors defaults to true): the tool
// run is recorded as failed (callbacks see the error) and the model gets a ToolMessage with
// status "error"; the agent goes on.
//
// The entry scripts (one per instrumentation, each its own process) call `main(setup,
// instrument)`. Arguments: LEDGER_PATH [--sessions N] [--capture FILE] [--detached-subagents]

import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

export const ORCHESTRATOR = "orchestrator";
export const RESEARCHER = "researcher";
export const CODER = "coder";

const DEFAULT_SESSIONS = 150;
const LARGE_TEXT = 4_000; // characters above which summarize_text "times out"
const BROKEN_MIRROR = "mirror.docs-cache.net";
const MODEL_NAME = "scripted-gpt-4o-mini";
const REPEATED_REQUEST =
  "Why was I charged twice this month, and can you reverse the duplicate charge?";

// --- a seeded random source -------------------------------------------------------------------

class Random {
  constructor(seed) {
    this.state = seed >>> 0;
  }
  next() { // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  below(n) { return Math.floor(this.next() * n); }
  between(lo, hi) { return lo + this.below(hi - lo + 1); } // inclusive
  pick(items) { return items[this.below(items.length)]; }
  hex(digits) {
    let out = "";
    while (out.length < digits) out += this.below(16).toString(16);
    return out;
  }
  shuffle(items) {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
  sample(items, k) { return this.shuffle([...items]).slice(0, k); }
}

// --- request texts ----------------------------------------------------------------------------
// A healthy request combines PROBLEMS[i], CONTEXTS[j], ENVIRONMENTS[(i + 2j) % 15] and
// ASKS[(i + j) % 15] (two orthogonal Latin squares) plus a pasted 32-hex reference: two sessions
// share at most one clause, so any two requests (and any two sub-agent tasks) stay far apart as
// text (gapwatch clusters repeated requests below an ngram distance of 0.4). Only
// REPEATED_REQUEST repeats.

const PROBLEMS = [
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
];
const CONTEXTS = [
  "ever since we moved the Frankfurt cluster onto the new pricing plan.",
  "but only for customers still on the legacy enterprise tier.",
  "after last Tuesday's upgrade of the Node SDK to version four.",
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
];
const ASKS = [
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
];
const ENVIRONMENTS = [
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
];
// A sub-agent task opens with an angle of its own (index (i + j) % 15), then repeats the
// session's problem, context and environment.
const RESEARCH_ANGLES = [
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
];
const CODING_ANGLES = [
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
];
const SEARCH_TERMS = ["release notes", "known issue", "workaround", "configuration", "changelog",
  "error code", "migration guide", "status incident"];
const PACKAGES = ["express", "zod", "prisma", "axios", "lodash", "fastify", "pino", "ioredis",
  "dayjs", "knex", "handlebars", "sharp"];
const INDEXES = ["kb-main", "kb-billing", "kb-mobile", "kb-integrations", "kb-security"];
const FILLER_WORDS = ["latency", "replica", "invoice", "tenant", "webhook", "retry", "cursor",
  "locale", "token", "bucket", "schema", "cluster", "quota", "session", "payload", "index"];

function filler(rng, size) {
  // a document body of about `size` characters (what summarize_text is asked to summarize)
  const sentences = [];
  let length = 0;
  while (length < size) {
    const words = Array.from({ length: rng.between(6, 14) }, () => rng.pick(FILLER_WORDS));
    const sentence = words.join(" ");
    sentences.push(sentence[0].toUpperCase() + sentence.slice(1) + ".");
    length += sentence.length + 2;
  }
  return sentences.join(" ");
}

// --- the plan of every session ------------------------------------------------------------------

function researchPlan(rng, i, j, number, ref) {
  const topic = PROBLEMS[i].toLowerCase();
  const angle = RESEARCH_ANGLES[(i + j) % RESEARCH_ANGLES.length];
  const env = ENVIRONMENTS[(i + 2 * j) % ENVIRONMENTS.length];
  const host = rng.next() < 0.3 ? BROKEN_MIRROR
    : rng.pick(["docs.example.com", "support.example.com", "community.example.org"]);
  const url = `https://${host}/articles/${String(number).padStart(4, "0")}-${rng.hex(4)}`;
  let summaryText = null;
  if (rng.next() < 0.75) {
    const size = rng.next() < 0.3 ? rng.between(4_200, 6_000) : rng.between(200, 1_500);
    summaryText = filler(rng, size);
  }
  return {
    question: `${angle} ${topic} ${CONTEXTS[j]} ${env} ${ref}`,
    query: `${topic.split(" ").slice(0, 5).join(" ")} ${rng.pick(SEARCH_TERMS)}`,
    url,
    summaryText,
    index: rng.pick(INDEXES),
    indexChecks: rng.next() < 0.3 ? 1 : 0,
  };
}

function codingPlan(rng, i, j, number, ref) {
  const angle = CODING_ANGLES[(i + j) % CODING_ANGLES.length];
  const env = ENVIRONMENTS[(i + 2 * j) % ENVIRONMENTS.length];
  let writePath = null;
  if (rng.next() < 0.75) {
    const folder = rng.next() < 0.35 ? "/srv/prod/config" : "/workspace/patches";
    writePath = `${folder}/fix_${String(number).padStart(4, "0")}.ts`;
  }
  return {
    task: `${angle} ${PROBLEMS[i]} ${CONTEXTS[j]} ${env} ${ref}`,
    fails: false,
    testTarget: `test/case_${String(number).padStart(4, "0")}.test.ts`,
    pkg: rng.pick(PACKAGES),
    writePath,
  };
}

export function planSessions(count, seed = 1) {
  const rng = new Random(seed);
  if (count <= 3) return showcaseSessions(rng).slice(0, count);
  const cells = [];
  for (let i = 0; i < PROBLEMS.length; i += 1) {
    for (let j = 0; j < CONTEXTS.length; j += 1) cells.push([i, j]);
  }
  rng.shuffle(cells);
  const repeatedEvery = count >= 24 ? Math.max(Math.floor(count / 12), 1) : 0;
  const plans = [];
  let healthy = 0;
  let repeated = 0;
  for (let number = 0; number < count; number += 1) {
    const sessionId = `lgjs-${seed}-${String(number).padStart(4, "0")}-${rng.hex(6)}`;
    if (repeatedEvery && number % repeatedEvery === Math.floor(repeatedEvery / 2) && repeated < 12) {
      repeated += 1;
      plans.push({ sessionId, request: REPEATED_REQUEST, repeated: true });
      continue;
    }
    const [i, j] = cells[healthy % cells.length];
    healthy += 1;
    const env = ENVIRONMENTS[(i + 2 * j) % ENVIRONMENTS.length];
    const ask = ASKS[(i + j) % ASKS.length];
    const ref = `[${rng.hex(32)}]`;
    const plan = { sessionId, request: `${PROBLEMS[i]} ${CONTEXTS[j]} ${env} ${ask} ${ref}`,
      repeated: false, account: null, research: null, coding: null };
    if (rng.next() < 0.35) plan.account = `acct-${String(rng.below(100_000)).padStart(5, "0")}`;
    const useResearch = rng.next() < 0.75;
    const useCoding = rng.next() < 0.45 || !useResearch;
    if (useResearch) plan.research = researchPlan(rng, i, j, healthy, ref);
    if (useCoding) plan.coding = codingPlan(rng, i, j, healthy, ref);
    plans.push(plan);
  }
  // about 45 % of coder delegations fail; 8 research runs poll the index in a loop
  const coding = plans.filter((p) => p.coding).map((p) => p.coding);
  for (const task of rng.sample(coding, Math.round(coding.length * 0.45))) task.fails = true;
  const research = plans.filter((p) => p.research).map((p) => p.research);
  for (const question of rng.sample(research, Math.min(8, Math.floor(research.length / 6)))) {
    question.indexChecks = rng.pick([3, 4]);
    question.index = "kb-main";
  }
  return plans;
}

function showcaseSessions(rng) {
  // three compact sessions for --capture: a failing tool and a failing delegation; a failed root
  // run; a soft failure and a refused write. (A timed-out summary is left out: its 4,000+
  // characters are repeated in every later span of the run and would not fit the capture.)
  const first = {
    sessionId: `lgjs-showcase-1-${rng.hex(6)}`, request: `${PROBLEMS[0]} ${CONTEXTS[1]} ${ASKS[1]}`,
    repeated: false, account: "acct-00417",
    research: { question: `${RESEARCH_ANGLES[0]} ${PROBLEMS[0].toLowerCase()}`,
      query: "csv export stops halfway", url: `https://${BROKEN_MIRROR}/articles/0001`,
      summaryText: null, index: "kb-main", indexChecks: 0 },
    coding: { task: `${CODING_ANGLES[3]} ${PROBLEMS[0]}.`, fails: true,
      testTarget: "test/export.test.ts", pkg: "axios", writePath: null },
  };
  const second = { sessionId: `lgjs-showcase-2-${rng.hex(6)}`, request: REPEATED_REQUEST,
    repeated: true };
  const third = {
    sessionId: `lgjs-showcase-3-${rng.hex(6)}`, request: `${PROBLEMS[4]} ${CONTEXTS[6]} ${ASKS[10]}`,
    repeated: false, account: null, research: null,
    coding: { task: `${CODING_ANGLES[0]} ${PROBLEMS[4]}.`, fails: false,
      testTarget: "test/invoice.test.ts", pkg: "dayjs",
      writePath: "/srv/prod/config/invoice.ts" },
  };
  return [first, second, third];
}

// --- the scripted model ------------------------------------------------------------------------

class Director {
  // Hands each agent run its script: a queue of turn iterators per agent, loaded per session.
  constructor() {
    this.queues = new Map();
    this.active = new Map();
    this.calls = 0;
    this.offers = new Map(); // "agent/tool" -> model calls it was offered on
  }
  load(agent, script) {
    if (!this.queues.has(agent)) this.queues.set(agent, []);
    this.queues.get(agent).push(script);
  }
  reset() {
    this.queues.clear();
    this.active.clear();
  }
  nextTurn(agent, messages, tools) {
    for (const offered of tools) {
      const key = `${agent}/${offered.function?.name ?? offered.name}`;
      this.offers.set(key, (this.offers.get(key) ?? 0) + 1);
    }
    if (!messages.some((m) => m.type === "ai")) { // the first model call of a new run
      const queue = this.queues.get(agent) ?? [];
      if (!queue.length) throw new Error(`no script left for ${agent}`);
      this.active.set(agent, queue.shift());
    }
    const { value: turn, done } = this.active.get(agent).next();
    if (done) throw new Error(`script of ${agent} ran out of turns`);
    if (turn instanceof Error) throw turn;
    return turn;
  }
  callId() {
    this.calls += 1;
    return `call_${String(this.calls).padStart(6, "0")}`;
  }
}

class ScriptedChatModel extends BaseChatModel {
  // A chat model that plays the session's script back, with OpenAI-style tool binding.
  static lc_name() { return "ScriptedChatModel"; }

  constructor({ agent, director }) {
    super({});
    this.agent = agent;
    this.director = director;
    this.model = MODEL_NAME;
  }

  _llmType() { return "scripted-chat"; }

  invocationParams(options) {
    return { model: this.model, tools: options?.tools };
  }

  bindTools(tools, kwargs) {
    return this.withConfig({ tools: tools.map((t) => convertToOpenAITool(t)), ...kwargs });
  }

  async _generate(messages, options) {
    const turn = this.director.nextTurn(this.agent, messages, options?.tools ?? []);
    const calls = turn.tool_calls ?? [];
    // small and steady: no cost finding should come out of the scripted usage
    const input = 60 + 12 * Math.min(messages.length, 12);
    const output = 14 + 18 * calls.length;
    const finishReason = calls.length ? "tool_calls" : "stop";
    const message = new AIMessage({
      content: turn.content ?? "",
      tool_calls: calls,
      usage_metadata: { input_tokens: input, output_tokens: output, total_tokens: input + output },
      response_metadata: { model_name: MODEL_NAME, finish_reason: finishReason },
    });
    return {
      generations: [{ text: message.content, message,
        generationInfo: { finish_reason: finishReason } }],
      llmOutput: { model_name: MODEL_NAME,
        tokenUsage: { promptTokens: input, completionTokens: output, totalTokens: input + output } },
    };
  }
}

function calls(director, requested) {
  // an assistant turn requesting tool calls (several = parallel tool calls)
  return { content: "", tool_calls: requested.map(([name, args]) =>
    ({ name, args, id: director.callId(), type: "tool_call" })) };
}

function say(text) {
  return { content: text, tool_calls: [] };
}

// --- what was injected -------------------------------------------------------------------------

class Tally {
  constructor() {
    this.events = new Map();
    this.sessions = new Map();
    this.session = "";
  }
  add(event) {
    this.events.set(event, this.count(event) + 1);
    if (!this.sessions.has(event)) this.sessions.set(event, new Set());
    this.sessions.get(event).add(this.session);
  }
  count(event) { return this.events.get(event) ?? 0; }
  spread(event) { return this.sessions.get(event)?.size ?? 0; }
}

// --- the agents --------------------------------------------------------------------------------

function build(director, tally, { detachedSubagents }) {
  let npmCalls = 0;
  const str = (description) => z.string().describe(description);

  const webSearch = tool(async ({ query }) => JSON.stringify([1, 2, 3].map((n) =>
    ({ title: `${query} — result ${n}`, url: `https://docs.example.com/search/${n}` }))), {
    name: "web_search",
    description: "Search the public web and the vendor forums; returns the top hits.",
    schema: z.object({ query: str("search terms") }),
  });
  const fetchPage = tool(async ({ url }) => {
    if (url.includes(BROKEN_MIRROR)) {
      tally.add("fetch_failure");
      throw new Error(`GET ${url} failed: upstream mirror answered 503 Service Unavailable`);
    }
    tally.add("fetch_ok");
    return `Article at ${url}: the behaviour is documented; apply the latest patch release.`;
  }, {
    name: "fetch_page",
    description: "Download one web page and return its readable text.",
    schema: z.object({ url: str("address of the page") }),
  });
  const summarizeText = tool(async ({ text }) => {
    if (text.length > LARGE_TEXT) {
      tally.add("summarize_timeout");
      throw new Error(`summarize_text timed out after 30 s (${text.length} characters)`);
    }
    tally.add("summarize_small");
    return `Summary (${text.split(/\s+/).length} words): ${text.split(/\s+/).slice(0, 12).join(" ")}`;
  }, {
    name: "summarize_text",
    description: "Summarize a long document into a few sentences.",
    schema: z.object({ text: str("the document") }),
  });
  const checkIndexStatus = tool(async ({ index }) => {
    tally.add("index_check");
    return JSON.stringify({ index, state: index === "kb-main" ? "rebuilding" : "ready",
      documents: 18_240 });
  }, {
    name: "check_index_status",
    description: "Report whether a knowledge-base search index is ready.",
    schema: z.object({ index: str("index name") }),
  });
  const runTests = tool(async ({ target }) =>
    JSON.stringify({ target, passed: 14, failed: 0, duration_s: 3.2 }), {
    name: "run_tests",
    description: "Run one test file in the sandbox and report the result.",
    schema: z.object({ target: str("test file") }),
  });
  const npmLookup = tool(async ({ pkg }) => {
    npmCalls += 1;
    if (npmCalls % 3 === 1) {
      tally.add("npm_soft_failure");
      return JSON.stringify({ error: "quota exceeded", retry_after_s: 3600 });
    }
    return JSON.stringify({ package: pkg, latest: "2.7.1", advisories: [] });
  }, {
    name: "npm_lookup",
    description: "Look up a package's latest version and known advisories in the registry.",
    schema: z.object({ pkg: str("package name") }),
  });
  const writeFile = tool(async ({ path, content }) => {
    if (path.startsWith("/srv/prod/")) {
      tally.add("write_blocked");
      throw new Error(`write to ${path} denied by policy: production paths are read-only for agents`);
    }
    return `wrote ${content.length} bytes to ${path}`;
  }, {
    name: "write_file",
    description: "Write a file into the workspace.",
    schema: z.object({ path: str("file path"), content: str("file content") }),
  });
  const lookupAccount = tool(async ({ account_id }) => JSON.stringify({ account: account_id,
    plan: "business", seats: 42, charges: [{ amount: 420.0, currency: "EUR" }] }), {
    name: "lookup_account",
    description: "Fetch a customer's account: plan, seats and recent charges.",
    schema: z.object({ account_id: str("account id") }),
  });
  const escalateToHuman = tool(async () => "escalated", {
    name: "escalate_to_human",
    description: "Hand the conversation to a human support engineer.",
    schema: z.object({ reason: str("why a human is needed") }),
  });

  const model = (agent) => new ScriptedChatModel({ agent, director });
  const researcher = createReactAgent({
    llm: model(RESEARCHER),
    tools: [webSearch, fetchPage, summarizeText, checkIndexStatus],
    prompt: "You research support questions with web search and documentation.",
    name: RESEARCHER,
  });
  const coder = createReactAgent({
    llm: model(CODER),
    tools: [runTests, npmLookup, writeFile],
    prompt: "You write and test small code changes for support cases.",
    name: CODER,
  });

  // the delegating tools hand their RunnableConfig on to the sub-agent (unless detached)
  const handOn = (config) => (detachedSubagents ? undefined : config);
  const askResearcher = tool(async ({ question }, config) => {
    const result = await researcher.invoke({ messages: [new HumanMessage(question)] },
      handOn(config));
    return String(result.messages.at(-1).content);
  }, {
    name: "ask_researcher",
    description: "Delegate a research question to the researcher agent; returns its findings.",
    schema: z.object({ question: str("what to research") }),
  });
  const askCoder = tool(async ({ task }, config) => {
    tally.add("coder_delegation");
    try {
      const result = await coder.invoke({ messages: [new HumanMessage(task)] }, handOn(config));
      return String(result.messages.at(-1).content);
    } catch (error) {
      tally.add("coder_failure");
      throw error;
    }
  }, {
    name: "ask_coder",
    description: "Delegate a coding task to the coder agent; returns its result.",
    schema: z.object({ task: str("what to build or fix") }),
  });

  const orchestrator = createReactAgent({
    llm: model(ORCHESTRATOR),
    tools: [lookupAccount, askResearcher, askCoder, escalateToHuman],
    prompt: "You are the support orchestrator. Delegate research and coding; answer briefly.",
    name: ORCHESTRATOR,
  });
  return orchestrator;
}

// --- the scripts -------------------------------------------------------------------------------

function* orchestratorScript(director, plan, rng) {
  if (plan.repeated) { // a lookup, then the model call fails and the whole run with it
    yield calls(director, [["lookup_account",
      { account_id: `acct-${String(rng.below(100_000)).padStart(5, "0")}` }]]);
    yield new Error("orchestrator model call failed: billing history exceeds the context window");
    return;
  }
  const first = [];
  if (plan.account) first.push(["lookup_account", { account_id: plan.account }]);
  if (plan.research) first.push(["ask_researcher", { question: plan.research.question }]);
  if (first.length) yield calls(director, first); // independent calls go out together
  if (plan.coding) yield calls(director, [["ask_coder", { task: plan.coding.task }]]);
  yield say("Here is what we found and what we changed; reply if anything is still off.");
}

function* researcherScript(director, plan) {
  yield calls(director, [["web_search", { query: plan.query }], ["fetch_page", { url: plan.url }]]);
  for (let n = 0; n < plan.indexChecks; n += 1) { // identical polls in a row: the retry loop
    yield calls(director, [["check_index_status", { index: plan.index }]]);
  }
  if (plan.summaryText !== null) {
    yield calls(director, [["summarize_text", { text: plan.summaryText }]]);
  }
  yield say("Findings: the issue is documented upstream; a patch release fixes it.");
}

function* coderScript(director, plan) {
  if (plan.fails) {
    yield new Error("coder model output failed schema validation: no patch plan produced");
    return;
  }
  yield calls(director, [["npm_lookup", { pkg: plan.pkg }],
    ["run_tests", { target: plan.testTarget }]]);
  if (plan.writePath) {
    yield calls(director, [["write_file", { path: plan.writePath,
      content: "export function fix(): void {\n  return;\n}\n" }]]);
  }
  yield say("Patch prepared and tests pass.");
}

async function runSession(orchestrator, director, tally, plan, rng) {
  // one user request; returns whether the root run succeeded
  director.reset();
  tally.session = plan.sessionId;
  director.load(ORCHESTRATOR, orchestratorScript(director, plan, rng));
  if (plan.research) director.load(RESEARCHER, researcherScript(director, plan.research));
  if (plan.coding) director.load(CODER, coderScript(director, plan.coding));
  // LangGraph copies configurable.thread_id into the run metadata (OpenInference reads it as
  // session.id); session_id is set explicitly as well, the first key OpenInference looks for
  const config = { configurable: { thread_id: plan.sessionId },
    metadata: { session_id: plan.sessionId } };
  try {
    await orchestrator.invoke({ messages: [new HumanMessage(plan.request)] }, config);
  } catch (error) {
    if (!plan.repeated) throw error;
    tally.add("root_failure");
    return false;
  }
  if (plan.repeated) throw new Error(`${plan.sessionId}: the repeated request did not fail`);
  return true;
}

// --- ledger ------------------------------------------------------------------------------------

function ledgerGaps(plans, tally, director) {
  // the injected gaps that reached the brief's minimums in this run
  const gaps = [];
  const gap = (detector, toolName, agent, target = "") =>
    gaps.push({ detector, tool: toolName, agent, target_agent: target });
  if (tally.count("fetch_failure") >= 10 && tally.spread("fetch_failure") >= 3) {
    gap("tool_failure_hotspot", "fetch_page", RESEARCHER);
  }
  if (tally.count("summarize_timeout") >= 10 && tally.count("summarize_small") >= 20) {
    gap("timeout_input_correlation", "summarize_text", RESEARCHER);
  }
  if (tally.count("npm_soft_failure") >= 8 && tally.spread("npm_soft_failure") >= 3) {
    gap("soft_failure", "npm_lookup", CODER);
  }
  if (tally.count("write_blocked") >= 5 && tally.spread("write_blocked") >= 3) {
    gap("permission_blocked", "write_file", CODER);
  }
  if ((director.offers.get(`${ORCHESTRATOR}/escalate_to_human`) ?? 0) >= 30) {
    gap("unused_tool", "escalate_to_human", ORCHESTRATOR);
  }
  if (plans.filter((p) => p.research && p.research.indexChecks >= 3).length >= 5) {
    gap("retry_loop", "check_index_status", RESEARCHER);
  }
  if (tally.count("root_failure") >= 10) gap("repeated_request", "", ORCHESTRATOR);
  const delegations = tally.count("coder_delegation");
  if (delegations >= 15 && tally.count("coder_failure") >= 0.4 * delegations) {
    gap("delegation_failure", "", ORCHESTRATOR, CODER);
  }
  return gaps;
}

// --- capture -----------------------------------------------------------------------------------

const CAPTURE_BUDGET = 295_000; // bytes of the capture file
// LangGraph plumbing leaves that repeat in every agent step (the prompt runnable, the
// should-continue branch, the start node); OpenLLMetry names them after their class
const PLUMBING_LEAVES = /^(workflow RunnableLambda|prompt|RunnableLambda|__start__)$/;

function captureJson(spans) {
  // OTLP/JSON (ExportTraceServiceRequest, hex ids) of the capture sessions. Everything if it fits;
  // else plumbing leaves only at their first occurrence, and whole traces, oldest first, while
  // they fit (every OpenLLMetry span is a trace of its own)
  const encode = (list) => Buffer.from(JsonTraceSerializer.serializeRequest(list)).toString("utf8");
  const sorted = [...spans].sort((a, b) => hrNanos(a.startTime) - hrNanos(b.startTime));
  const everything = encode(sorted);
  if (everything.length <= CAPTURE_BUDGET) return everything;
  const seen = new Set();
  const traces = new Map();
  for (const span of sorted) {
    if (PLUMBING_LEAVES.test(span.name)) {
      if (seen.has(span.name)) continue;
      seen.add(span.name);
    }
    const id = span.spanContext().traceId;
    if (!traces.has(id)) traces.set(id, []);
    traces.get(id).push(span);
  }
  let kept = [];
  let text = encode(kept);
  for (const members of traces.values()) {
    const candidate = encode([...kept, ...members]);
    if (candidate.length > CAPTURE_BUDGET) continue;
    kept = [...kept, ...members];
    text = candidate;
  }
  return text;
}

function hrNanos([seconds, nanos]) {
  return seconds * 1e9 + nanos;
}

// --- the program -------------------------------------------------------------------------------

class CountingProcessor {
  // counts ended spans: the ledger's "spans" (what the exporter was handed)
  constructor() { this.count = 0; }
  onStart() {}
  onEnd() { this.count += 1; }
  forceFlush() { return Promise.resolve(); }
  shutdown() { return Promise.resolve(); }
}

function parseArgs(argv) {
  const args = { ledger: null, sessions: DEFAULT_SESSIONS, capture: null,
    detachedSubagents: false };
  for (let n = 0; n < argv.length; n += 1) {
    const arg = argv[n];
    if (arg === "--sessions") args.sessions = Number(argv[++n]);
    else if (arg === "--capture") args.capture = argv[++n];
    else if (arg === "--detached-subagents") args.detachedSubagents = true;
    else if (!args.ledger) args.ledger = arg;
    else throw new Error(`unexpected argument ${arg}`);
  }
  if (!args.ledger) throw new Error("usage: <setup>.mjs LEDGER [--sessions N] [--capture FILE]");
  if (args.capture && args.sessions === DEFAULT_SESSIONS) args.sessions = 3;
  return args;
}

export async function main(setup, instrument) {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const counter = new CountingProcessor();
  const memory = args.capture ? new InMemorySpanExporter() : null;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": `support-bot-${setup}` }),
    spanProcessors: [
      // a capture run without an endpoint in the environment only writes the capture file
      ...(memory && !process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? [] : [
        new BatchSpanProcessor(new OTLPTraceExporter(), { maxQueueSize: 100_000,
          maxExportBatchSize: 512, scheduledDelayMillis: 500, exportTimeoutMillis: 60_000 })]),
      counter,
      ...(memory ? [new SimpleSpanProcessor(memory)] : []),
    ],
  });
  provider.register(); // global provider + AsyncLocalStorage context manager
  await instrument(provider);

  const director = new Director();
  const tally = new Tally();
  const orchestrator = build(director, tally, args);
  const plans = planSessions(args.sessions);
  const rng = new Random(11);
  let failedRoots = 0;
  for (const plan of plans) {
    if (!(await runSession(orchestrator, director, tally, plan, rng))) failedRoots += 1;
  }
  const ran = performance.now() - started;
  await awaitAllCallbacks(); // LangChain.js runs callback handlers in the background
  await provider.forceFlush();
  const captured = memory ? memory.getFinishedSpans() : []; // shutdown empties the exporter
  await provider.shutdown();

  const delegations = [[RESEARCHER, plans.some((p) => p.research)],
    [CODER, plans.some((p) => p.coding)]]
    .filter(([, used]) => used).map(([target]) => ({ caller: ORCHESTRATOR, target }));
  const gaps = ledgerGaps(plans, tally, director);
  writeFileSync(args.ledger, JSON.stringify({ spans: counter.count, gaps, delegations }, null, 2));
  if (memory) writeFileSync(args.capture, captureJson(captured) + "\n");
  console.log(JSON.stringify({ setup, sessions: plans.length, failed_roots: failedRoots,
    spans: counter.count, detached_subagents: args.detachedSubagents,
    run_s: Math.round(ran / 100) / 10,
    total_s: Math.round((performance.now() - started) / 100) / 10,
    events: Object.fromEntries(tally.events), gaps: gaps.length }));
}
