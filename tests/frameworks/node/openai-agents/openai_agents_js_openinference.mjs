// OpenAI Agents JS SDK (@openai/agents) under OpenInference's instrumentation
// (@arizeai/openinference-instrumentation-openai-agents), exporting OTLP/HTTP protobuf to gapwatch.
//
//     node openai_agents_js_openinference.mjs LEDGER [--sessions N] [--seed S] [--capture FILE]
//
// A support desk: `orchestrator` answers account and billing questions itself, asks `researcher`
// through an agent-as-tool (`ask_researcher`, researcher.asTool) and hands build problems off to
// `coder` (`handoffs: [coder]`, the model calls `transfer_to_coder`). Every agent runs the SDK's
// real OpenAIResponsesModel on an OpenAI client whose `fetch` plays a scripted Responses API: it
// answers each request with the next queued turn of that agent and echoes the request's
// instructions and tools back the way the API does. Any other fetch (e.g. the SDK's own trace
// exporter to api.openai.com) is refused and fails the run.
//
// The instrumentation replaces the SDK's trace processors with its own (exclusive mode, the
// default of manuallyInstrument), so the SDK's traces reach only OpenTelemetry. Session ids go on
// spans as `session.id` the OpenInference way: setSession() on the active OTel context around
// each run (the SDK's RunConfig.groupId is set too, but the processor does not read it).
//
// Injected gaps, one root cause each (subjects as a correct tool reports them):
//   tool_failure_hotspot       researcher's fetch_page throws the same upstream error in ~30 %
//                              of its calls (SDK default error formatter: non-fatal, the model
//                              gets an error text, the function span gets span.error).
//   timeout_input_correlation  coder's analyze_log has the SDK's own tool timeout (timeoutMs 50);
//                              logs over ~4,000 characters exceed it, and the SDK returns
//                              "Tool 'analyze_log' timed out after 50ms." as a normal result.
//   soft_failure               orchestrator's check_billing returns {"error": "quota exceeded"}.
//   unused_tool                orchestrator is offered escalate_to_human on every call, never
//                              calls it.
//   retry_loop                 researcher calls search_kb 3-4 times with identical arguments.
//   repeated_request           one request text, asked in many sessions; orchestrator guesses
//                              and its output guardrail trips (OutputGuardrailTripwireTriggered).
//   delegation_failure         orchestrator -> coder (handoff) fails in ~45 % of handoffs:
//                              coder's model answers 400 context_length_exceeded, the run throws.
//   permission_blocked         coder's deploy_preview throws "... denied by policy ..."; its
//                              errorFunction hands the text back to the model.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import * as agents from '@openai/agents';
import {
  Agent,
  OpenAIResponsesModel,
  OutputGuardrailTripwireTriggered,
  Runner,
  tool,
} from '@openai/agents';
import { OpenAIAgentsInstrumentation } from '@arizeai/openinference-instrumentation-openai-agents';
import { setSession } from '@arizeai/openinference-core';
import { context } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import OpenAI, { BadRequestError } from 'openai';
import { z } from 'zod';

const SETUP = 'openai_agents_js_openinference';
const DEFAULT_SESSIONS = 150;
const MODEL_NAME = 'gpt-4.1-mini';
const MAX_TURNS = 10;
const LARGE_LOG_CHARS = 4_000;
const TOOL_TIMEOUT_MS = 50;
const REPEATED_REQUEST = 'Why does my nightly export to the data warehouse keep stalling halfway?';

// ------------------------------------------------------------------------------------------------
// No network: only loopback fetches (there should be none at all) are let through
// ------------------------------------------------------------------------------------------------

const refusedFetches = [];
const loopbackFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    refusedFetches.push(url.href);
    throw new Error(`network access refused in a conformance scenario: ${url.href}`);
  }
  return loopbackFetch(input, init);
};

// ------------------------------------------------------------------------------------------------
// A seeded random source (the plan must be the same on every run)
// ------------------------------------------------------------------------------------------------

class Rng {
  constructor(seed) {
    this.state = (seed * 2654435761) >>> 0;
  }

  random() {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  below(n) {
    return Math.floor(this.random() * n);
  }

  choice(items) {
    return items[this.below(items.length)];
  }

  shuffle(items) {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** k distinct integers of [0, n) */
  sample(n, k) {
    return new Set(this.shuffle([...Array(n).keys()]).slice(0, k));
  }
}

// ------------------------------------------------------------------------------------------------
// The scripted Responses API behind each agent's OpenAI client
// ------------------------------------------------------------------------------------------------

let nextItemNumber = 1;
const itemId = (prefix) => `${prefix}_${String(nextItemNumber++).padStart(6, '0')}`;

/** A model turn that calls one tool. */
function call(name, args = {}) {
  const number = nextItemNumber++;
  return {
    output: [{
      type: 'function_call', id: `fc_${String(number).padStart(6, '0')}`,
      call_id: `call_${String(number).padStart(6, '0')}`, name,
      arguments: JSON.stringify(args), status: 'completed',
    }],
  };
}

/** A model turn that answers in plain text (ends that agent's run). */
function say(text) {
  return {
    output: [{
      type: 'message', id: itemId('msg'), role: 'assistant', status: 'completed',
      content: [{ type: 'output_text', text, annotations: [] }],
    }],
  };
}

/** What the Responses API answers when a handed-off conversation no longer fits. */
function contextLengthExceeded() {
  return {
    status: 400,
    error: {
      message: 'Your input exceeds the context window of this model. Please adjust your input '
        + 'and try again.',
      type: 'invalid_request_error', param: 'input', code: 'context_length_exceeded',
    },
  };
}

class ScriptedResponsesApi {
  constructor(agentName) {
    this.agentName = agentName;
    this.turns = [];
    this.problems = [];
    this.responses = 0;
  }

  queue(turns) {
    this.turns.push(...turns);
  }

  /** The `fetch` handed to this agent's OpenAI client. */
  fetch = async (url, init) => {
    const path = new URL(String(url)).pathname;
    const request = JSON.parse(init?.body ?? '{}');
    if (!path.endsWith('/responses') || request.stream) {
      this.problems.push(`unexpected request ${init?.method} ${path} stream=${request.stream}`);
      return json(404, { error: { message: `no scripted endpoint ${path}`, type: 'not_found' } });
    }
    const turn = this.turns.shift();
    if (!turn) {
      this.problems.push('the script ran out of turns');
      return json(500, { error: { message: `script for ${this.agentName} ran out`, type: 'server_error' } });
    }
    if (turn.error) {
      return json(turn.status, { error: turn.error });
    }
    return json(200, this.response(request, turn.output));
  };

  response(request, output) {
    // usage in proportion to what was sent, as a real model would count it (modest, and the
    // same for the same conversation)
    const promptChars = JSON.stringify(request.input ?? '').length
      + (request.instructions ?? '').length;
    const offered = (request.tools ?? []).length;
    const inputTokens = 120 + Math.floor(promptChars / 4) + 40 * offered;
    const outputTokens = 18 + Math.floor(JSON.stringify(output).length / 6);
    this.responses += 1;
    return {
      id: `resp_${this.agentName}_${String(this.responses).padStart(6, '0')}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: request.model ?? MODEL_NAME,
      instructions: request.instructions ?? null,
      tools: request.tools ?? [],
      tool_choice: request.tool_choice ?? 'auto',
      parallel_tool_calls: request.parallel_tool_calls ?? true,
      temperature: 1.0,
      top_p: 1.0,
      text: { format: { type: 'text' } },
      truncation: 'disabled',
      metadata: {},
      output,
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
    };
  }
}

function json(status, body) {
  return new Response(JSON.stringify(body), {
    status, headers: { 'content-type': 'application/json', 'x-request-id': itemId('req') },
  });
}

// ------------------------------------------------------------------------------------------------
// Tools (their faults are decided by the plan, keyed on their arguments)
// ------------------------------------------------------------------------------------------------

const FAULTS = {
  brokenUrls: new Set(),
  overQuotaAccounts: new Set(),
  emptyQueries: new Set(),
};

class UpstreamError extends Error {
  name = 'UpstreamError';
}

class PolicyError extends Error {
  name = 'PermissionError';
}

/** Waits, or stops early when the SDK aborts the call (its tool timeout aborts the signal). */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

// Every tool takes a few milliseconds, as a call to a real service would, independent of its
// input. (Instantaneous tools would show 0 ns durations: the SDK stamps its spans with
// millisecond ISO times, and 0 ms against 1 ms reads as a huge slowdown.)
const latencyRng = new Rng(4242);
const serviceLatency = (details) => sleep(3 + latencyRng.below(8), details?.signal);

/** Input sizes of analyze_log calls, by whether the SDK's timeout cut them off. */
const ANALYZE_LOG_CALLS = { timedOut: [], finished: [] };

const lookupAccount = tool({
  name: 'lookup_account',
  description: 'Look up a customer account by its id.',
  parameters: z.object({ account_id: z.string() }),
  execute: async ({ account_id }, _runContext, details) => {
    await serviceLatency(details);
    return { account_id, plan: 'team', seats: 5 + (account_id.length % 7), status: 'active' };
  },
});

const checkBilling = tool({
  name: 'check_billing',
  description: 'Read the current invoice and balance of an account from the billing service.',
  parameters: z.object({ account_id: z.string() }),
  execute: async ({ account_id }, _runContext, details) => {
    await serviceLatency(details);
    if (FAULTS.overQuotaAccounts.has(account_id)) {
      return { error: 'quota exceeded' };
    }
    return { account_id, balance_usd: 12.5 + account_id.length, next_invoice: '2026-09-01' };
  },
});

const escalateToHuman = tool({
  name: 'escalate_to_human',
  description: 'Open a ticket for a human support engineer.',
  parameters: z.object({ reason: z.string() }),
  execute: async (_args, _runContext, details) => {
    await serviceLatency(details);
    return 'ticket opened';
  },
});

const webSearch = tool({
  name: 'web_search',
  description: 'Search the public web.',
  parameters: z.object({ query: z.string() }),
  execute: async ({ query }, _runContext, details) => {
    await serviceLatency(details);
    const slug = query.toLowerCase().split(/\s+/).slice(0, 4).join('-');
    return { results: [{ title: query, url: `https://docs.example.com/${slug}` }] };
  },
});

const fetchPage = tool({
  name: 'fetch_page',
  description: 'Download a web page as text.',
  parameters: z.object({ url: z.string() }),
  execute: async ({ url }, _runContext, details) => {
    await serviceLatency(details);
    if (FAULTS.brokenUrls.has(url)) {
      throw new UpstreamError('upstream docs mirror returned 502 Bad Gateway');
    }
    return `<html><title>${url.split('/').pop()}</title><p>Step-by-step guide.</p></html>`;
  },
});

const searchKb = tool({
  name: 'search_kb',
  description: 'Search the internal knowledge base.',
  parameters: z.object({ query: z.string() }),
  execute: async ({ query }, _runContext, details) => {
    await serviceLatency(details);
    if (FAULTS.emptyQueries.has(query)) {
      return { query, results: [] };
    }
    return { query, results: [{ id: `KB-${(query.length * 37) % 900 + 100}`, title: query }] };
  },
});

const runTests = tool({
  name: 'run_tests',
  description: "Run a test suite in the customer's sandbox.",
  parameters: z.object({ suite: z.string() }),
  execute: async ({ suite }, _runContext, details) => {
    await serviceLatency(details);
    return { suite, passed: 40 + (suite.length % 9), failed: 1 };
  },
});

const analyzeLog = tool({
  name: 'analyze_log',
  description: 'Find the first error in a build or job log.',
  parameters: z.object({ text: z.string() }),
  // the SDK's own tool timeout; its default behavior, error_as_result, hands the model
  // "Tool 'analyze_log' timed out after 50ms." as the tool's result
  timeoutMs: TOOL_TIMEOUT_MS,
  execute: async ({ text }, _runContext, details) => {
    // a big log takes far longer than the timeout; the SDK aborts the call's signal
    await (text.length > LARGE_LOG_CHARS ? sleep(1_000, details?.signal) : serviceLatency(details));
    (details?.signal?.aborted ? ANALYZE_LOG_CALLS.timedOut : ANALYZE_LOG_CALLS.finished)
      .push(text.length);
    const first = text.split('\n').find((line) => line.includes('ERROR')) ?? '';
    return { lines: text.split('\n').length, first_error: first.slice(0, 120) };
  },
});

const deployPreview = tool({
  name: 'deploy_preview',
  description: 'Deploy a branch to a preview environment.',
  parameters: z.object({ branch: z.string() }),
  // hand the refusal back to the model as it is (the default formatter would too, wrapped)
  errorFunction: (_runContext, error) => `${error.name}: ${error.message}`,
  execute: async ({ branch }, _runContext, details) => {
    await serviceLatency(details);
    throw new PolicyError(`deploy of branch '${branch}' denied by policy: this workspace may `
      + 'not create preview environments');
  },
});

/** Rejects answers that speculate instead of reporting what a tool returned. */
const noGuesswork = {
  name: 'no_guesswork',
  execute: async ({ agentOutput }) => {
    const guessing = String(agentOutput).toLowerCase().includes('probably');
    return { outputInfo: { speculative: guessing }, tripwireTriggered: guessing };
  },
};

// ------------------------------------------------------------------------------------------------
// Agents
// ------------------------------------------------------------------------------------------------

function buildTeam() {
  const apis = Object.fromEntries(['orchestrator', 'researcher', 'coder']
    .map((name) => [name, new ScriptedResponsesApi(name)]));
  const model = (name) => new OpenAIResponsesModel(new OpenAI({
    apiKey: 'sk-test-not-used', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0,
    fetch: apis[name].fetch,
  }), MODEL_NAME);
  const researcher = new Agent({
    name: 'researcher', model: model('researcher'),
    instructions: 'You research product questions on the web and in the knowledge base.',
    tools: [webSearch, fetchPage, searchKb],
  });
  const coder = new Agent({
    name: 'coder', model: model('coder'),
    handoffDescription: 'Fixes failing builds, reads logs and deploys previews.',
    instructions: "You debug customers' builds: run tests, read logs, deploy previews.",
    tools: [runTests, analyzeLog, deployPreview],
  });
  const orchestrator = new Agent({
    name: 'orchestrator', model: model('orchestrator'),
    instructions: 'You are the support front desk. Answer account and billing questions; ask '
      + 'the researcher for product research; hand build and CI problems to the coder.',
    tools: [
      lookupAccount, checkBilling, escalateToHuman,
      researcher.asTool({
        toolName: 'ask_researcher', toolDescription: 'Ask the research agent a product question.',
      }),
    ],
    handoffs: [coder],
    outputGuardrails: [noGuesswork],
  });
  return { orchestrator, apis };
}

// ------------------------------------------------------------------------------------------------
// The users' requests: each one new; coding requests (the ones whose runs fail when the handoff
// fails) kept far apart as text, so the one repeated request is the only repeated request
// ------------------------------------------------------------------------------------------------

const PRODUCTS = ['the iOS app', 'the customer portal', 'the command-line tool', 'the Teams bot',
  'the GraphQL API', 'the Pulumi provider', 'SAML login', 'the Android SDK', 'outgoing webhooks',
  'the macOS client', 'the analytics dashboard', 'the Make.com connector', 'the activity log',
  'the Frankfurt region', 'the Chrome extension', 'read-only seats'];
const TOPICS = ['how to rotate access tokens', 'whether quotas differ between plans',
  'how to download the audit history', 'what the newest release changed',
  'how to map directory groups to roles', 'why list endpoints return duplicates',
  'how to force two-factor for everyone', 'where monthly usage exports land',
  'how to move off the v1 endpoints', 'which cipher suites are accepted',
  'how long deleted records are kept', 'how to create a sandbox workspace',
  'whether user provisioning via SCIM works', 'what availability is guaranteed',
  'how to invite many freelancers at once', 'whether data can stay inside one country'];
const RESEARCH_TEMPLATES = ['Could you check {topic} for {product}?',
  'We need to know {topic} in {product}.', 'A question on {product}: {topic}?',
  'Our IT lead wants to know {topic} for {product}.', 'Please find out {topic} ({product}).',
  'Before rolling out {product} to everyone: {topic}?'];
const BUILDS = ['the nightly iOS build', 'our cart service pipeline', 'the handbook site deploy',
  'the refunds worker', 'the Android release job', 'the events ingestion DAG',
  'our staging schema migration', 'the product search indexer', 'the Java monorepo CI',
  'the Kustomize overlay release', 'the browser smoke suite', 'the landing page preview',
  'the Zig CLI cross-build', 'our RabbitMQ consumer image', 'the Terraform apply stage',
  'the npm package publish job', 'the Docusaurus build', 'the OpenAPI contract check',
  'our GPU training image', 'the MSI installer job', 'the risk-scoring service',
  'the receipt PDF generator', 'the SSE gateway', 'the config sync cron'];
const SYMPTOMS = ['crashes with a segmentation fault', 'freezes right after the cache restore',
  'has been failing since this morning', 'hits the timeout in integration tests',
  'fails on an unset environment variable', 'broke after we bumped the Node version',
  'fails about every third run', 'fails only on the ARM machines',
  'runs out of memory at link time', 'can no longer pull its base image',
  'reports a hash mismatch for a vendored package', 'gets killed with exit code 137',
  'complains that the signing certificate expired', 'locks up during the schema migration',
  'uploads an empty artifact', 'fails linting on files nobody changed',
  'drops the connection to the test database', 'now takes forty minutes instead of five',
  'throws EACCES writing to the temp folder', 'crashes whenever the locale is not English'];
const CODING_OPENERS = ['', 'Help:', 'Since yesterday', 'Quick one:', 'Urgent:', 'Hello team,',
  'No idea who owns it, but', "After Monday's deploy"];
const CODING_CLOSERS = ['.', ', could someone look?', ' and we release tomorrow.', '. Any ideas?',
  '. Logs attached.', ', please help.'];
const BILLING_ASKS = ['What is my balance right now?', 'When is the next invoice due?',
  'Why were we billed twice this month?', 'Can you confirm our plan and balance?',
  'How much is due for August?', 'Did my last payment go through?',
  'What does the invoice for the added seats say?', 'Was the yearly discount applied?',
  "Can I get last quarter's invoices?", 'Why did the bill rise after adding two seats?',
  'Has the refund for the cancelled add-on arrived?', 'Which card do you have on file?'];
const BILLING_CONTEXTS = ['Account {account}.', 'Our account is {account}.', '(account {account})',
  'This is for {account}, the Porto office.', 'Asking on behalf of {account}.',
  'It is the team account {account}.'];
// gapwatch groups requests whose normalized texts are within an ngram distance of 0.4; coding
// requests stay further apart than that (plain character trigrams read a little higher than
// ClickHouse's hashed ones)
const MIN_CODING_DISTANCE = 0.55;

function trigrams(text) {
  const norm = text.toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, ' ').trim().split(/\s+/).join(' ');
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
  for (const [gram, n] of a) {
    diff += Math.abs(n - (b.get(gram) ?? 0));
    total += n;
  }
  for (const [gram, n] of b) {
    if (!a.has(gram)) diff += n;
    total += n;
  }
  return diff / Math.max(1, total);
}

class RequestWriter {
  constructor(rng) {
    this.rng = rng;
    this.written = [trigrams(REPEATED_REQUEST)];
  }

  research() {
    return this.fresh(RESEARCH_TEMPLATES, 0, { topic: TOPICS, product: PRODUCTS });
  }

  coding() {
    return this.fresh(['{opener} {build} {symptom}{closer}'], MIN_CODING_DISTANCE,
      { opener: CODING_OPENERS, build: BUILDS, symptom: SYMPTOMS, closer: CODING_CLOSERS });
  }

  billing(account) {
    return this.fresh(['{ask} {context}'], 0, {
      ask: BILLING_ASKS, context: BILLING_CONTEXTS.map((c) => c.replace('{account}', account)),
    });
  }

  fresh(templates, minDistance, slots) {
    for (let attempt = 0; attempt < 5_000; attempt++) {
      let text = this.rng.choice(templates);
      for (const [slot, options] of Object.entries(slots)) {
        text = text.replace(`{${slot}}`, this.rng.choice(options));
      }
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

// ------------------------------------------------------------------------------------------------
// The plan: one scripted conversation per session, decided up front so the gaps land in exact
// numbers
// ------------------------------------------------------------------------------------------------

const account = (rng) => `acct-${String(rng.below(100_000)).padStart(5, '0')}`;

function researchSession(sessionId, text, rng, { retryLoop, brokenFetches }) {
  const orchestrator = [];
  if (rng.random() < 0.3) orchestrator.push(call('lookup_account', { account_id: account(rng) }));
  orchestrator.push(call('ask_researcher', { input: `A customer asks: ${text}` }),
    say('Here is what the research turned up: see the linked guide.'));
  const query = text.toLowerCase().replace(/[?.]+$/, '');
  const researcher = [];
  if (retryLoop) {
    FAULTS.emptyQueries.add(query);
    const attempts = rng.choice([3, 4]);
    for (let i = 0; i < attempts; i++) researcher.push(call('search_kb', { query }));
    researcher.push(say('The knowledge base has nothing on this yet.'));
  } else {
    researcher.push(call('web_search', { query }));
    const broken = brokenFetches
      ?? Array.from({ length: rng.choice([1, 2, 2]) }, () => rng.random() < 0.3);
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
  const lines = Array.from({ length: 5 + rng.below(20) }, (_, i) =>
    `${String(i).padStart(5, '0')} INFO step ${i} ok`);
  lines.splice(rng.below(lines.length), 0, 'ERROR linker exited with code 137');
  let text = lines.join('\n');
  while (large && text.length <= LARGE_LOG_CHARS + 500) {
    text += '\n' + Array.from({ length: 60 }, (_, i) =>
      `${String(i).padStart(5, '0')} DEBUG cache probe ${i} miss`).join('\n');
  }
  return text;
}

function codingSession(sessionId, text, rng, { fails, deploys, largeLogs }) {
  const orchestrator = [call('lookup_account', { account_id: account(rng) }),
    call('transfer_to_coder')];
  const suite = rng.choice(['unit', 'integration', 'e2e', 'lint', 'smoke']);
  const coder = [];
  if (fails) {
    if (rng.random() < 0.5) coder.push(call('run_tests', { suite }));
    coder.push(contextLengthExceeded());
  } else {
    coder.push(call('run_tests', { suite }));
    const large = largeLogs
      ?? Array.from({ length: rng.choice([2, 2, 3]) }, () => rng.random() < 0.3);
    for (const isLarge of large) coder.push(call('analyze_log', { text: buildLog(rng, isLarge) }));
    if (deploys) coder.push(call('deploy_preview', { branch: `fix/${sessionId.slice(-6)}` }));
    coder.push(say('Found the failing step and proposed a fix.'));
  }
  return { sessionId, kind: 'coding', request: text, turns: { orchestrator, coder },
    expectFailure: fails, delegations: ['coder'] };
}

function billingSession(sessionId, writer, { overQuota }) {
  const acct = account(writer.rng);
  const text = writer.billing(acct);
  if (overQuota) FAULTS.overQuotaAccounts.add(acct);
  const orchestrator = [call('lookup_account', { account_id: acct }),
    call('check_billing', { account_id: acct }),
    say('Your balance and next invoice are shown above.')];
  return { sessionId, kind: 'billing', request: text, turns: { orchestrator },
    expectFailure: false, delegations: [] };
}

function unresolvedSession(sessionId, rng) {
  const orchestrator = [call('lookup_account', { account_id: account(rng) }),
    say('Your account looks fine, so it is probably a temporary warehouse timeout; please '
      + 'retry tonight.')];
  return { sessionId, kind: 'unresolved', request: REPEATED_REQUEST, turns: { orchestrator },
    expectFailure: true, delegations: [] };
}

function kindCounts(sessions) {
  const unresolved = Math.max(1, Math.round(sessions * 0.08));
  const coding = Math.max(1, Math.round(sessions * 0.34));
  const research = Math.max(1, Math.round(sessions * 0.32));
  return { research, coding, unresolved,
    billing: Math.max(1, sessions - unresolved - coding - research) };
}

/** For a small capture: one session of each shape, each with its fault showing. */
function showcasePlan(sessions, rng) {
  const writer = new RequestWriter(rng);
  return [
    researchSession('conv-demo-research', writer.research(), rng,
      { retryLoop: false, brokenFetches: [true, false] }),
    codingSession('conv-demo-coding', writer.coding(), rng,
      { fails: false, deploys: true, largeLogs: [false, true] }),
    codingSession('conv-demo-coding-fails', writer.coding(), rng, { fails: true, deploys: false }),
    billingSession('conv-demo-billing', writer, { overQuota: true }),
  ].slice(0, sessions);
}

function buildPlan(sessions, rng) {
  if (sessions <= 4) return showcasePlan(sessions, rng);
  const counts = kindCounts(sessions);
  const kinds = rng.shuffle(Object.entries(counts).flatMap(([kind, n]) => Array(n).fill(kind)));
  const writer = new RequestWriter(rng);
  const retryRuns = rng.sample(counts.research, Math.round(counts.research * 0.16));
  const coderFailures = rng.sample(counts.coding, Math.round(counts.coding * 0.45));
  const healthyCoding = [...Array(counts.coding).keys()].filter((i) => !coderFailures.has(i));
  const deployRuns = new Set(rng.shuffle([...healthyCoding])
    .slice(0, Math.min(healthyCoding.length, Math.round(counts.coding * 0.22))));
  const overQuota = rng.sample(counts.billing, Math.round(counts.billing * 0.33));
  const seen = { research: 0, coding: 0, billing: 0, unresolved: 0 };
  return kinds.map((kind, index) => {
    const sessionId = `conv-${String(index).padStart(4, '0')}-`
      + rng.below(16 ** 6).toString(16).padStart(6, '0');
    const ordinal = seen[kind]++;
    switch (kind) {
      case 'research':
        return researchSession(sessionId, writer.research(), rng,
          { retryLoop: retryRuns.has(ordinal) });
      case 'coding':
        return codingSession(sessionId, writer.coding(), rng,
          { fails: coderFailures.has(ordinal), deploys: deployRuns.has(ordinal) });
      case 'billing':
        return billingSession(sessionId, writer, { overQuota: overQuota.has(ordinal) });
      default:
        return unresolvedSession(sessionId, rng);
    }
  });
}

// ------------------------------------------------------------------------------------------------
// Running it
// ------------------------------------------------------------------------------------------------

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

async function runSessions(team, plan) {
  const outcomes = { ok: 0, failed: 0 };
  for (const session of plan) {
    for (const [agent, turns] of Object.entries(session.turns)) team.apis[agent].queue(turns);
    const runner = new Runner({
      workflowName: 'support-bot', groupId: session.sessionId,
      traceMetadata: { kind: session.kind },
    });
    let failed = false;
    // OpenInference's way to a session id: on the active context, copied onto every span
    const scope = setSession(context.active(), { sessionId: session.sessionId });
    try {
      await context.with(scope, () => runner.run(team.orchestrator, session.request,
        { maxTurns: MAX_TURNS }));
    } catch (error) {
      if (!(error instanceof OutputGuardrailTripwireTriggered || error instanceof BadRequestError)) {
        throw error;
      }
      failed = true;
    }
    if (failed !== session.expectFailure) {
      throw new Error(`${session.sessionId} (${session.kind}) failed=${failed}`);
    }
    for (const [name, api] of Object.entries(team.apis)) {
      if (api.turns.length || api.problems.length) {
        throw new Error(`${session.sessionId}: ${name} left ${api.turns.length} turns; `
          + `problems: ${api.problems.join('; ')}`);
      }
    }
    outcomes[failed ? 'failed' : 'ok'] += 1;
  }
  return outcomes;
}

class SpanCounter {
  ended = 0;
  onStart() {}
  onEnd() {
    this.ended += 1;
  }
  async forceFlush() {}
  async shutdown() {}
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      sessions: { type: 'string' },
      seed: { type: 'string', default: '7' },
      capture: { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    throw new Error('usage: node openai_agents_js_openinference.mjs LEDGER [--sessions N] '
      + '[--seed S] [--capture FILE]');
  }
  const sessions = Number(values.sessions ?? (values.capture ? 4 : DEFAULT_SESSIONS));
  const started = performance.now();

  const counter = new SpanCounter();
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-bot-openai-agents-js-openinference' }),
    spanProcessors: [
      // a capture run without a gapwatch server (no endpoint set) only writes the capture
      ...(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || !values.capture ? [
        new BatchSpanProcessor(new OTLPTraceExporter(), {
          maxQueueSize: 100_000, maxExportBatchSize: 512, scheduledDelayMillis: 500,
          exportTimeoutMillis: 30_000,
        }),
      ] : []),
      counter,
      ...(values.capture ? [new SimpleSpanProcessor(memory)] : []),
    ],
  });
  provider.register();
  // exclusive (the default): the SDK's own processors, and with them its exporter to OpenAI, go
  const instrumentation = new OpenAIAgentsInstrumentation({ tracerProvider: provider });
  instrumentation.manuallyInstrument(agents);

  const team = buildTeam();
  const plan = buildPlan(sessions, new Rng(Number(values.seed)));
  const outcomes = await runSessions(team, plan);
  const delegations = [...new Set(plan.flatMap((s) => s.delegations))].sort();
  // the timeout gap is only what the ledger says if exactly the big logs timed out
  const wrongTimeouts = ANALYZE_LOG_CALLS.timedOut.filter((n) => n <= LARGE_LOG_CHARS)
    .concat(ANALYZE_LOG_CALLS.finished.filter((n) => n > LARGE_LOG_CHARS));
  if (wrongTimeouts.length) {
    throw new Error(`analyze_log timed out by size wrongly for inputs of ${wrongTimeouts} chars `
      + '(a loaded machine?)');
  }

  await agents.getGlobalTraceProvider().forceFlush();
  await provider.forceFlush();
  const captured = memory.getFinishedSpans(); // shutdown() empties the memory exporter
  await provider.shutdown();
  if (refusedFetches.length) {
    throw new Error(`something tried to reach the network: ${refusedFetches.slice(0, 5)}`);
  }
  const ledger = {
    spans: counter.ended,
    // fault rates are sized for the default session count; a small run shows each fault once
    // but reaches no detector's support
    gaps: sessions >= DEFAULT_SESSIONS ? GAPS.map((gap) => ({ target_agent: '', ...gap })) : [],
    delegations: delegations.map((target) => ({ caller: 'orchestrator', target })),
  };
  writeFileSync(positionals[0], JSON.stringify(ledger, null, 2));
  if (values.capture) {
    // OTLP/JSON spells ids in hex; the captures are read back with protobuf's JSON mapping,
    // which wants bytes fields in base64
    const request = JSON.parse(new TextDecoder().decode(
      JsonTraceSerializer.serializeRequest(captured)), (key, value) =>
      (['traceId', 'spanId', 'parentSpanId'].includes(key) && typeof value === 'string'
        ? Buffer.from(value, 'hex').toString('base64') : value));
    writeFileSync(values.capture, JSON.stringify(request) + '\n');
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`${SETUP}: ${plan.length} sessions (${JSON.stringify(outcomes)}), `
    + `${counter.ended} spans, analyze_log ${ANALYZE_LOG_CALLS.timedOut.length} timed out / `
    + `${ANALYZE_LOG_CALLS.finished.length} finished, ${seconds} s\n`);
}

try {
  await main();
} catch (error) {
  // the SDK's errors carry the whole run state: print only what explains the failure
  process.stderr.write(`${SETUP} failed: ${error?.stack ?? error}\n`);
  process.exit(1);
}
