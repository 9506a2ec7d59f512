// The Vercel AI SDK's telemetry rewritten by OpenInference's Vercel span processor
// (@arizeai/openinference-vercel 2.x, the line for ai <= 6), which wraps the OTLP/HTTP
// protobuf exporter. No span filter: every span the SDK makes is exported.
//
//   node vercel_openinference.mjs LEDGER.json [--sessions N] [--capture FILE] [--seed S]
import {
  OpenInferenceBatchSpanProcessor,
  OpenInferenceSimpleSpanProcessor,
} from '@arizeai/openinference-vercel';

import { BATCH_CONFIG, main } from './common.mjs';

await main({
  name: 'vercel_openinference',
  processor: (exporter, { batch }) => (batch
    ? new OpenInferenceBatchSpanProcessor({ exporter, config: BATCH_CONFIG })
    : new OpenInferenceSimpleSpanProcessor({ exporter })),
});
