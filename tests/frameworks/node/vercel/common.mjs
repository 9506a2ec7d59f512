// Shared scenario for the Vercel AI SDK (ai 6.x) under OpenTelemetry: a support bot.
//
// `orchestrator` answers account and billing questions itself and delegates by tool:
// `ask_researcher` and `ask_coder` run the sub-agent's own generateText inside the tool's
// execute, so a sub-agent run is simply a child of the orchestrator's `ai.toolCall` span. Every
// agent is one generateText call with tools and `stopWhen: stepCountIs(n)`, named by its
// telemetry `functionId`; the session id travels as telemetry metadata (`sessionId`), handed to
// the sub-agents through `experimental_context`. Every model is the SDK's own
// MockLanguageModelV3 playing back scripted turns: nothing touches the network.
//
// Entry scripts (one per instrumentation setup, each in its own process) call main() with the
// span processor that carries spans to the OTLP exporter. Injected gaps, one root cause each:
//
// * tool_failure_hotspot: researcher's fetch_page throws "upstream docs mirror returned 502
//   Bad Gateway" for ~30 % of its calls. ai 6 records ERROR + an exception event on the
//   `ai.toolCall` span and feeds the error back to the model, so the run goes on.
// * timeout_input_correlation: coder's analyze_log gives up on logs over ~4,000 characters:
//   it throws a TimeoutError "analyze_log timed out after 30 s" (time compressed: it waits
//   25 ms). ai 6 has no per-tool timeout (only whole-call / per-step ones that abort the run).
// * soft_failure: orchestrator's check_billing returns {"error": "quota exceeded"} as a
//   normal result.
// * unused_tool: orchestrator is offered escalate_to_human on every model call, never uses it.
// * retry_loop: researcher calls search_kb 3-4 times with identical arguments (empty results).
// * repeated_request: one request, asked in many sessions, that orchestrator never resolves:
//   it guesses, and its output guardrail (a language-model middleware) rejects the guess, so
//   generateText throws and the root run fails.
// * delegation_failure: ask_coder fails in ~45 % of delegations: coder's model rejects the
//   request (context length exceeded, HTTP 400), coder's generateText throws, and so does
//   the ask_coder tool (orchestrator gets the error back and apologises; its run succeeds).
// * permission_blocked: coder's deploy_preview throws "... denied by policy ...".

import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { APICallError, generateText, stepCountIs, tool, wrapLanguageModel } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';

export const DEFAULT_SESSIONS = 150;
const MODEL_ID = 'gpt-4.1-mini';
const MAX_STEPS = 10;
const LARGE_LOG_CHARS = 4_000;
const REPEATED_REQUEST = 'Why does my nightly export to the data warehouse keep stalling halfway?';
// fixed, small usage per model call: no run can look expensive
const USAGE = {
  inputTokens: { total: 48, noCache: 48, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 9, text: 9, reasoning: 0 },
};
// what a batch exporter may send at once, and how much it may hold: nothing is dropped
export const BATCH_CONFIG = { maxQueueSize: 100_000, maxExportBatchSize: 512, scheduledDelayMillis: 200 };

// ---------------------------------------------------------------------------------------------
// A seeded random source (the plan is the same on every run)
// ---------------------------------------------------------------------------------------------

class Random {
  constructor(seed) { this.state = seed >>> 0; }
  random() { // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  below(n) { return Math.floor(this.random() * n); }
  choice(items) { return items[this.below(items.length)]; }
  shuffle(items) {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
  sample(n, k) { return new Set(this.shuffle([...Array(n).keys()]).slice(0, k)); }
}

// ---------------------------------------------------------------------------------------------
// The scripted models
// ---------------------------------------------------------------------------------------------

let callNumber = 0;

/** A model turn that calls one tool. */
function call(toolName, args) {
  callNumber += 1;
  return {
    content: [{ type: 'tool-call', toolCallId: `call_${String(callNumber).padStart(6, '0')}`,
                toolName, input: JSON.stringify(args) }],
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage: USAGE, warnings: [],
  };
}

/** A model turn that answers in plain text (ends the agent's run). */
function say(text) {
  return { content: [{ type: 'text', text }], finishReason: { unified: 'stop', raw: 'stop' },
           usage: USAGE, warnings: [] };
}

/** What the chat completions API answers when a delegated conversation no longer fits. */
function contextLengthError() {
  const body = { error: { message: "This model's maximum context length is 128000 tokens. However, "
                                   + 'your messages resulted in 131072 tokens.',
                          type: 'invalid_request_error', param: 'messages',
                          code: 'context_length_exceeded' } };
  return new APICallError({
    message: body.error.message, url: 'http://127.0.0.1:9/v1/chat/completions',
    requestBodyValues: {}, statusCode: 400, responseBody: JSON.stringify(body),
    isRetryable: false,
  });
}

/** Plays back queued turns (a turn is a generate result or an Error to throw). */
class ScriptedModel {
  constructor(agent) {
    this.agent = agent;
    this.turns = [];
    this.model = new MockLanguageModelV3({
      provider: 'openai.chat', modelId: MODEL_ID,
      doGenerate: async () => {
        const turn = this.turns.shift();
        if (turn === undefined) throw new Error(`script for ${this.agent} ran out of turns`);
        if (turn instanceof Error) throw turn;
        callNumber += 1;
        return { ...turn, response: { id: `chatcmpl-${this.agent}-${callNumber}`, modelId: MODEL_ID,
                                      timestamp: new Date() } };
      },
    });
  }
}

class OutputGuardrailError extends Error {
  constructor(message) { super(message); this.name = 'OutputGuardrailError'; }
}

/** Output guardrail of orchestrator: rejects answers that speculate instead of reporting. */
const noGuesswork = {
  specificationVersion: 'v3',
  wrapGenerate: async ({ doGenerate }) => {
    const result = await doGenerate();
    const text = result.content.filter((part) => part.type === 'text').map((part) => part.text).join('');
    if (/\bprobably\b/i.test(text)) {
      throw new OutputGuardrailError('answer rejected by output guardrail no_guesswork: '
                                     + 'speculative answer');
    }
    return result;
  },
};

// ---------------------------------------------------------------------------------------------
// Tools (their faults are decided by the plan, keyed on their arguments)
// ---------------------------------------------------------------------------------------------

const FAULTS = { brokenUrls: new Set(), overQuotaAccounts: new Set(), emptyQueries: new Set() };

function namedError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const researcherTools = {
  web_search: tool({
    description: 'Search the public web.',
    inputSchema: z.object({ query: z.string() }),
    execute: async ({ query }) => {
      const slug = query.toLowerCase().split(/\s+/).slice(0, 4).join('-');
      return { results: [{ title: query, url: `https://docs.example.com/${slug}` }] };
    },
  }),
  fetch_page: tool({
    description: 'Download a web page as text.',
    inputSchema: z.object({ url: z.string() }),
    execute: async ({ url }) => {
      if (FAULTS.brokenUrls.has(url)) {
        throw namedError('UpstreamError', 'upstream docs mirror returned 502 Bad Gateway');
      }
      return `<html><title>${url.split('/').pop()}</title><p>Step-by-step guide.</p></html>`;
    },
  }),
  search_kb: tool({
    description: 'Search the internal knowledge base.',
    inputSchema: z.object({ query: z.string() }),
    execute: async ({ query }) => {
      if (FAULTS.emptyQueries.has(query)) return { query, results: [] };
      return { query, results: [{ id: `KB-${(query.length * 37) % 900 + 100}`, title: query }] };
    },
  }),
};

const coderTools = {
  run_tests: tool({
    description: "Run a test suite in the customer's sandbox.",
    inputSchema: z.object({ suite: z.string() }),
    execute: async ({ suite }) => ({ suite, passed: 40 + (suite.length % 9), failed: 1 }),
  }),
  analyze_log: tool({
    description: 'Find the first error in a build or job log.',
    inputSchema: z.object({ text: z.string() }),
    execute: async ({ text }) => {
      if (text.length > LARGE_LOG_CHARS) {
        await sleep(25); // stands for the 30 s budget the log parser runs out of
        throw namedError('TimeoutError', 'analyze_log timed out after 30 s');
      }
      await sleep(1);
      const first = text.split('\n').find((line) => line.includes('ERROR')) ?? '';
      return { lines: text.split('\n').length, first_error: first.slice(0, 120) };
    },
  }),
  deploy_preview: tool({
    description: 'Deploy a branch to a preview environment.',
    inputSchema: z.object({ branch: z.string() }),
    execute: async ({ branch }) => {
      throw namedError('PermissionDeniedError', `deploy of branch '${branch}' denied by policy: `
                       + 'this workspace may not create preview environments');
    },
  }),
};

// ---------------------------------------------------------------------------------------------
// Agents: one generateText call each, named by telemetry functionId
// ---------------------------------------------------------------------------------------------

const SYSTEM = {
  orchestrator: 'You are the support front desk. Answer account and billing questions; ask the '
                + 'researcher for product research; ask the coder for help with builds.',
  researcher: 'You research product questions on the web and in the knowledge base.',
  coder: "You debug customers' builds: run tests, read logs, deploy previews.",
};

const SCRIPTS = {
  orchestrator: new ScriptedModel('orchestrator'),
  researcher: new ScriptedModel('researcher'),
  coder: new ScriptedModel('coder'),
};

const MODELS = {
  orchestrator: wrapLanguageModel({ model: SCRIPTS.orchestrator.model, middleware: noGuesswork }),
  researcher: SCRIPTS.researcher.model,
  coder: SCRIPTS.coder.model,
};

const orchestratorTools = {
  lookup_account: tool({
    description: 'Look up a customer account by its id.',
    inputSchema: z.object({ account_id: z.string() }),
    execute: async ({ account_id }) => ({ account_id, plan: 'team', seats: 5 + (account_id.length % 7),
                                          status: 'active' }),
  }),
  check_billing: tool({
    description: 'Read the current invoice and balance of an account from the billing service.',
    inputSchema: z.object({ account_id: z.string() }),
    execute: async ({ account_id }) => {
      if (FAULTS.overQuotaAccounts.has(account_id)) return { error: 'quota exceeded' };
      return { account_id, balance_usd: 9.5 + account_id.length * 1.25, next_invoice: '2026-09-01' };
    },
  }),
  escalate_to_human: tool({
    description: 'Open a ticket for a human support engineer.',
    inputSchema: z.object({ reason: z.string() }),
    execute: async () => 'ticket opened',
  }),
  ask_researcher: tool({
    description: 'Ask the research agent a product question.',
    inputSchema: z.object({ question: z.string() }),
    execute: async ({ question }, { experimental_context }) =>
      runAgent('researcher', question, experimental_context),
  }),
  ask_coder: tool({
    description: 'Ask the coding agent to debug a failing build.',
    inputSchema: z.object({ task: z.string() }),
    execute: async ({ task }, { experimental_context }) =>
      runAgent('coder', task, experimental_context),
  }),
};

const TOOLS = { orchestrator: orchestratorTools, researcher: researcherTools, coder: coderTools };

/** Runs one agent: its own generateText, traced under its name, in the caller's session. */
async function runAgent(agent, prompt, context) {
  const result = await generateText({
    model: MODELS[agent],
    system: SYSTEM[agent],
    prompt,
    tools: TOOLS[agent],
    stopWhen: stepCountIs(MAX_STEPS),
    experimental_context: context,
    experimental_telemetry: {
      isEnabled: true, functionId: agent, metadata: { sessionId: context.sessionId },
      recordInputs: true, recordOutputs: true,
    },
  });
  return result.text;
}

// ---------------------------------------------------------------------------------------------
// The plan: one scripted conversation per session
// ---------------------------------------------------------------------------------------------

const PRODUCTS = ['the Android app', 'the billing portal', 'the CLI', 'the Slack integration',
  'the REST API', 'the Terraform provider', 'single sign-on', 'the mobile SDK', 'webhooks',
  'the desktop client', 'the reporting dashboard', 'the Zapier connector', 'the audit trail',
  'the EU data region', 'the browser extension', 'guest accounts'];
const TOPICS = ['how to rotate API keys', 'whether rate limits differ per region',
  'how to export audit logs', 'what changed in the last release', 'how to configure SAML groups',
  'why pagination skips items', 'how to enable two-factor for a team',
  'where usage reports are stored', 'how to migrate from the legacy endpoints',
  'which TLS versions are supported', 'how retention of deleted items works',
  'how to set up a staging tenant', 'whether SCIM provisioning is supported',
  'what the uptime commitment is', 'how to bulk-invite contractors',
  'whether data can be pinned to one country'];
const RESEARCH_TEMPLATES = ['Can you find out {topic} for {product}?', 'I need to know {topic} in {product}.',
  'Quick question about {product}: {topic}?', 'Our admin asks {topic} for {product}.',
  'Please look up {topic} ({product}).', 'Before we roll out {product} widely: {topic}?'];
const BUILDS = ['the nightly Android build', 'our checkout service pipeline', 'the docs site deploy',
  'the payments worker', 'the iOS release job', 'the data ingestion DAG',
  'our staging database migration', 'the search indexer', 'the Go monorepo CI',
  'the Helm chart release', 'the e2e smoke suite', 'the marketing site preview',
  'the Rust CLI cross-compile', 'our Kafka consumer image', 'the Terraform plan step',
  'the Python wheel publish job', 'the Storybook build', 'the GraphQL schema check',
  'our ML training container', 'the Windows installer job', 'the fraud-scoring service',
  'the invoice PDF renderer', 'the websocket gateway', 'the feature-flag sync cron'];
const SYMPTOMS = ['fails with a segfault', 'hangs right after restoring the cache',
  'has been red since this morning', 'times out in the integration tests',
  'breaks on a missing environment variable', 'started failing after the Node upgrade',
  'flakes roughly every third run', 'only fails on the ARM runners',
  'runs out of memory while linking', 'cannot pull its base image anymore',
  'reports a checksum mismatch on a vendored dependency', 'dies with exit code 137',
  'complains about an expired signing certificate', 'deadlocks during the schema migration',
  'produces an empty artifact', 'fails its lint step on files nobody touched',
  'loses the connection to the test database', 'suddenly takes forty minutes instead of five',
  'throws a permission error writing to tmp', 'crashes when the locale is not English'];
const CODING_OPENERS = ['', 'Help:', 'Since yesterday', 'Quick one:', 'Urgent:', 'Hi team,',
  'Not sure who owns this, but', "After Friday's release"];
const CODING_CLOSERS = ['.', ', can you take a look?', ' and we ship tomorrow.', '. Any idea why?',
  '. Logs are attached.', ', please advise.'];
const BILLING_ASKS = ['What is my current balance?', 'When is the next invoice due?',
  'Why was I charged twice this month?', 'Can you confirm my plan and balance?',
  'How much do we owe for August?', 'Is my last payment registered?',
  'What does the invoice for the extra seats say?', 'Did the annual discount apply to my account?',
  "Can I get a copy of last quarter's invoices?", 'Why did our bill go up after adding two seats?',
  'Has the refund for the cancelled add-on arrived?', 'Which card is on file for us?'];
const BILLING_CONTEXTS = ['Account {account}.', 'Our account is {account}.', '(account {account})',
  'This is for {account}, the Lisbon office.', 'Asking for {account}.',
  "It's the team account {account}."];
// gapwatch groups requests whose normalized texts are within an ngramDistanceUTF8 of 0.4.
// Requests whose runs may carry a failure (research: fetch_page errors; coding: coder, timeout
// and policy errors) are kept further apart than that, measured with plain character trigrams
// (which read a little higher than ClickHouse's hashed ones), so that only the one repeated
// request repeats. Billing runs never carry a failure status: their requests only need to differ.
const MIN_DISTANCE = { research: 0.5, coding: 0.55, billing: 0.0 };

function trigrams(text) {
  const norm = text.toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, ' ').trim();
  const grams = new Map();
  for (let i = 0; i + 3 <= norm.length; i++) {
    const gram = norm.slice(i, i + 3);
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

function distance(a, b) {
  let diff = 0;
  let total = 0;
  for (const [gram, n] of a) { diff += Math.abs(n - (b.get(gram) ?? 0)); total += n; }
  for (const [gram, n] of b) { if (!a.has(gram)) diff += n; total += n; }
  return diff / Math.max(1, total);
}

/** Writes the users' requests: each one new, the ones that may fail unlike each other. */
class RequestWriter {
  constructor(rng) { this.rng = rng; this.written = [trigrams(REPEATED_REQUEST)]; }

  research() {
    return this.fresh(RESEARCH_TEMPLATES, MIN_DISTANCE.research, { topic: TOPICS, product: PRODUCTS });
  }

  coding() {
    return this.fresh(['{opener} {build} {symptom}{closer}'], MIN_DISTANCE.coding,
                      { opener: CODING_OPENERS, build: BUILDS, symptom: SYMPTOMS, closer: CODING_CLOSERS });
  }

  billing(account) {
    return this.fresh(['{ask} {context}'], MIN_DISTANCE.billing,
                      { ask: BILLING_ASKS, context: BILLING_CONTEXTS.map((c) => c.replace('{account}', account)) });
  }

  fresh(templates, minDistance, slots) {
    for (let attempt = 0; attempt < 5_000; attempt++) {
      let text = this.rng.choice(templates);
      for (const [name, options] of Object.entries(slots)) text = text.replace(`{${name}}`, this.rng.choice(options));
      text = text.trim();
      text = text[0].toUpperCase() + text.slice(1);
      const grams = trigrams(text);
      if (this.written.every((other) => distance(grams, other) > minDistance)) {
        this.written.push(grams);
        return text;
      }
    }
    throw new Error('out of distinct requests: add words to the vocabulary');
  }
}

const account = (rng) => `acct-${String(rng.below(100_000)).padStart(5, '0')}`;

function researchSession(sessionId, text, rng, { retryLoop, brokenFetches }) {
  const orchestrator = [];
  if (rng.random() < 0.3) orchestrator.push(call('lookup_account', { account_id: account(rng) }));
  orchestrator.push(call('ask_researcher', { question: `A customer asks: ${text}` }),
                    say('Here is what the research turned up: see the linked guide.'));
  const query = text.toLowerCase().replace(/[?.]+$/, '');
  const researcher = [];
  if (retryLoop) {
    FAULTS.emptyQueries.add(query);
    const times = rng.choice([3, 4]);
    for (let i = 0; i < times; i++) researcher.push(call('search_kb', { query }));
    researcher.push(say('The knowledge base has nothing on this yet.'));
  } else {
    researcher.push(call('web_search', { query }));
    const broken = brokenFetches ?? Array.from({ length: rng.choice([1, 2, 2]) }, () => rng.random() < 0.3);
    broken.forEach((isBroken, attempt) => {
      const url = `https://docs.example.com/${sessionId}/page-${attempt}`;
      if (isBroken) FAULTS.brokenUrls.add(url);
      researcher.push(call('fetch_page', { url }));
    });
    if (rng.random() < 0.35) researcher.push(call('search_kb', { query }));
    researcher.push(say('Found a guide that answers it.'));
  }
  return { sessionId, kind: 'research', request: text, turns: { orchestrator, researcher },
           expectFailure: false, delegations: ['researcher'] };
}

function buildLog(rng, large) {
  const lines = Array.from({ length: 5 + rng.below(20) }, (_, i) => `${String(i).padStart(5, '0')} INFO step ${i} ok`);
  lines.splice(rng.below(lines.length), 0, 'ERROR linker exited with code 137');
  let text = lines.join('\n');
  for (let i = 0; large && text.length <= LARGE_LOG_CHARS + 200; i++) {
    text += `\n${String(i).padStart(5, '0')} DEBUG cache probe ${i} miss`;
  }
  return text;
}

function codingSession(sessionId, text, rng, { fails, deploys, largeLogs }) {
  const orchestrator = [call('lookup_account', { account_id: account(rng) }),
                        call('ask_coder', { task: `Customer report: ${text}` })];
  const suite = rng.choice(['unit', 'integration', 'e2e', 'lint', 'smoke']);
  const coder = [];
  if (fails) {
    if (rng.random() < 0.5) coder.push(call('run_tests', { suite }));
    coder.push(contextLengthError());
    orchestrator.push(say('The coding team could not take this on right now; I have logged it.'));
  } else {
    coder.push(call('run_tests', { suite }));
    const logs = largeLogs ?? Array.from({ length: rng.choice([2, 2, 3]) }, () => rng.random() < 0.3);
    for (const large of logs) coder.push(call('analyze_log', { text: buildLog(rng, large) }));
    if (deploys) coder.push(call('deploy_preview', { branch: `fix/${sessionId.slice(-6)}` }));
    coder.push(say('Found the failing step and proposed a fix.'));
    orchestrator.push(say('The coder found the failing step and proposed a fix.'));
  }
  return { sessionId, kind: 'coding', request: text, turns: { orchestrator, coder },
           expectFailure: false, delegations: ['coder'] };
}

function billingSession(sessionId, writer, { overQuota }) {
  const acct = account(writer.rng);
  const text = writer.billing(acct);
  if (overQuota) FAULTS.overQuotaAccounts.add(acct);
  const orchestrator = [call('lookup_account', { account_id: acct }), call('check_billing', { account_id: acct }),
                        say('Your balance and next invoice are shown above.')];
  return { sessionId, kind: 'billing', request: text, turns: { orchestrator }, expectFailure: false,
           delegations: [] };
}

function unresolvedSession(sessionId, rng) {
  const orchestrator = [call('lookup_account', { account_id: account(rng) }),
                        say('Your account looks fine, so it is probably a temporary warehouse timeout; '
                            + 'please retry tonight.')];
  return { sessionId, kind: 'unresolved', request: REPEATED_REQUEST, turns: { orchestrator },
           expectFailure: true, delegations: [] };
}

function kindCounts(sessions) {
  const unresolved = Math.max(1, Math.round(sessions * 0.08));
  const coding = Math.max(1, Math.round(sessions * 0.34));
  const research = Math.max(1, Math.round(sessions * 0.32));
  return { research, coding, unresolved, billing: Math.max(1, sessions - unresolved - coding - research) };
}

/** Decides every session up front, so the injected gaps land in exact numbers. */
function buildPlan(sessions, rng) {
  const writer = new RequestWriter(rng);
  if (sessions <= 3) { // a small capture: one session of each shape, its fault showing
    return [
      researchSession('conv-demo-research', writer.research(), rng, { retryLoop: false, brokenFetches: [true, false] }),
      codingSession('conv-demo-coding', writer.coding(), rng, { fails: false, deploys: true, largeLogs: [false, true] }),
      codingSession('conv-demo-coding-fails', writer.coding(), rng, { fails: true, deploys: false }),
    ].slice(0, sessions);
  }
  const counts = kindCounts(sessions);
  const kinds = rng.shuffle(Object.entries(counts).flatMap(([kind, n]) => Array(n).fill(kind)));
  const retryRuns = rng.sample(counts.research, Math.round(counts.research * 0.16));
  const coderFailures = rng.sample(counts.coding, Math.round(counts.coding * 0.45));
  const healthy = [...Array(counts.coding).keys()].filter((i) => !coderFailures.has(i));
  const deployRuns = new Set(rng.shuffle(healthy).slice(0, Math.round(counts.coding * 0.22)));
  const overQuota = rng.sample(counts.billing, Math.round(counts.billing * 0.33));
  const seen = { research: 0, coding: 0, billing: 0, unresolved: 0 };
  return kinds.map((kind, index) => {
    const sessionId = `conv-${String(index).padStart(4, '0')}-${rng.below(16 ** 6).toString(16).padStart(6, '0')}`;
    const ordinal = seen[kind]++;
    if (kind === 'research') {
      return researchSession(sessionId, writer.research(), rng, { retryLoop: retryRuns.has(ordinal) });
    }
    if (kind === 'coding') {
      return codingSession(sessionId, writer.coding(), rng,
                           { fails: coderFailures.has(ordinal), deploys: deployRuns.has(ordinal) });
    }
    if (kind === 'billing') return billingSession(sessionId, writer, { overQuota: overQuota.has(ordinal) });
    return unresolvedSession(sessionId, rng);
  });
}

// ---------------------------------------------------------------------------------------------
// Running it
// ---------------------------------------------------------------------------------------------

async function runSessions(plan) {
  const outcomes = { ok: 0, failed: 0 };
  for (const session of plan) {
    for (const [agent, turns] of Object.entries(session.turns)) SCRIPTS[agent].turns.push(...turns);
    let failed = false;
    try {
      await runAgent('orchestrator', session.request, { sessionId: session.sessionId });
    } catch (error) {
      if (!(error instanceof OutputGuardrailError)) throw error;
      failed = true;
    }
    if (failed !== session.expectFailure) {
      throw new Error(`${session.sessionId} (${session.kind}) failed=${failed}`);
    }
    const leftover = Object.entries(SCRIPTS).filter(([, s]) => s.turns.length).map(([name, s]) => `${name}: ${s.turns.length}`);
    if (leftover.length) throw new Error(`${session.sessionId}: unconsumed turns ${leftover}`);
    outcomes[failed ? 'failed' : 'ok'] += 1;
  }
  return outcomes;
}

const GAPS = [
  { detector: 'tool_failure_hotspot', tool: 'fetch_page', agent: 'researcher' },
  { detector: 'timeout_input_correlation', tool: 'analyze_log', agent: 'coder' },
  { detector: 'soft_failure', tool: 'check_billing', agent: 'orchestrator' },
  { detector: 'unused_tool', tool: 'escalate_to_human', agent: 'orchestrator' },
  { detector: 'retry_loop', tool: 'search_kb', agent: 'researcher' },
  { detector: 'repeated_request', tool: '', agent: 'orchestrator' },
  { detector: 'delegation_failure', tool: '', agent: 'orchestrator', target_agent: 'coder' },
  { detector: 'permission_blocked', tool: 'deploy_preview', agent: 'coder' },
];

function parseArgs(argv) {
  const args = { ledger: null, sessions: DEFAULT_SESSIONS, capture: null, seed: 7 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--sessions') args.sessions = Number(argv[++i]);
    else if (arg === '--capture') args.capture = argv[++i];
    else if (arg === '--seed') args.seed = Number(argv[++i]);
    else if (!arg.startsWith('--') && args.ledger === null) args.ledger = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!args.ledger) throw new Error('usage: <ledger.json> [--sessions N] [--capture FILE] [--seed S]');
  return args;
}

const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** Counts ended spans, so the ledger says how many the harness must wait for. */
class CountingProcessor {
  constructor() { this.ended = 0; }
  onStart() {}
  onEnd() { this.ended += 1; }
  async forceFlush() {}
  async shutdown() {}
}

/**
 * setup.name: the setup's name; setup.processor(exporter): the span processor that carries the
 * spans to the exporter (the setup's instrumentation, or a plain batch processor).
 */
export async function main(setup) {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const counter = new CountingProcessor();
  const memory = new InMemorySpanExporter();
  const processors = [];
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || !args.capture) {
    processors.push(setup.processor(new OTLPTraceExporter(), { batch: true }));
    // after the setup's processor, a capture sees each span as that processor rewrote it
    if (args.capture) processors.push(new SimpleSpanProcessor(memory));
  } else {
    // a capture run without a server only writes the capture
    processors.push(setup.processor(memory, { batch: false }));
  }
  processors.push(counter);
  const provider = new NodeTracerProvider({
    resource: new Resource({ 'service.name': `support-bot-${setup.name.replace(/_/g, '-')}` }),
    spanProcessors: processors,
  });
  provider.register();

  const plan = buildPlan(args.sessions, new Random(args.seed));
  const outcomes = await runSessions(plan);
  await provider.forceFlush();
  const captured = memory.getFinishedSpans(); // the exporter forgets them on shutdown
  await provider.shutdown();

  const targets = [...new Set(plan.flatMap((session) => session.delegations))].sort();
  const ledger = {
    spans: counter.ended,
    // the fault rates are sized for the default session count; a small capture run shows each
    // fault once but is not meant to reach any detector's support
    gaps: args.sessions >= DEFAULT_SESSIONS ? GAPS.map((gap) => ({ target_agent: '', ...gap })) : [],
    delegations: targets.map((target) => ({ caller: 'orchestrator', target })),
  };
  writeFileSync(args.ledger, JSON.stringify(ledger, null, 2));
  if (args.capture) {
    // OTLP/JSON writes ids in hex; the captures are read with protobuf's JSON mapping (base64)
    const request = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(captured)).toString('utf8'),
                               (key, value) => (ID_KEYS.has(key) && typeof value === 'string' && value
                                 ? Buffer.from(value, 'hex').toString('base64') : value));
    writeFileSync(args.capture, JSON.stringify(request) + '\n');
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(`${setup.name}: ${plan.length} sessions (${JSON.stringify(outcomes)}), `
                + `${counter.ended} spans, ${seconds} s`);
}
