// The Vercel AI SDK's own telemetry: experimental_telemetry on every generateText call, spans
// carried by a plain batch processor to the OTLP/HTTP protobuf exporter.
//
//   node vercel_native.mjs LEDGER.json [--sessions N] [--capture FILE] [--seed S]
import { BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { BATCH_CONFIG, main } from './common.mjs';

await main({
  name: 'vercel_native',
  processor: (exporter, { batch }) => (batch ? new BatchSpanProcessor(exporter, BATCH_CONFIG)
                                             : new SimpleSpanProcessor(exporter)),
});
