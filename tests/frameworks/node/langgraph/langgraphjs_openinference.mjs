// LangGraph.js support-bot scenario under OpenInference's LangChain instrumentation
// (@arizeai/openinference-instrumentation-langchain).
//
//   node langgraphjs_openinference.mjs LEDGER [--sessions N] [--capture FILE] [--detached-subagents]

import { LangChainInstrumentation } from "@arizeai/openinference-instrumentation-langchain";
import * as CallbackManagerModule from "@langchain/core/callbacks/manager";

import { main } from "./support_bot.mjs";

async function instrument(provider) {
  // the README's set-up: LangChain's callback-manager module is instrumented by hand
  const instrumentation = new LangChainInstrumentation({ tracerProvider: provider });
  instrumentation.manuallyInstrument(CallbackManagerModule);
}

await main("langgraphjs-openinference", instrument);
