// LangGraph.js support-bot scenario under OpenLLMetry's LangChain instrumentation
// (@traceloop/instrumentation-langchain), content tracing on.
//
//   node langgraphjs_openllmetry.mjs LEDGER [--sessions N] [--capture FILE] [--detached-subagents]

import * as CallbackManagerModule from "@langchain/core/callbacks/manager";
import { LangChainInstrumentation } from "@traceloop/instrumentation-langchain";

import { main } from "./support_bot.mjs";

async function instrument(provider) {
  // LangChain.js 1.x in an ES module: the instrumentation is handed the ESM callback-manager
  // module (its own require() of the CJS build does not reach ESM consumers)
  const instrumentation = new LangChainInstrumentation({ traceContent: true });
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument({ callbackManagerModule: CallbackManagerModule });
}

await main("langgraphjs-openllmetry", instrument);
