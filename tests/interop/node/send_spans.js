// Records the interop scenario with the Node.js OpenTelemetry SDK and ships it with the SDK's
// OTLP exporter. Usage: node send_spans.js <spec.json> <traces url> <proto|json> [gzip]
// Prints one JSON line {"ok": bool, "spans": n, "error": "..."}; exits 0 only on success.
'use strict';

const fs = require('fs');
const api = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const {
  TracerProvider,
  SimpleSpanProcessor,
  InMemorySpanExporter,
} = require('@opentelemetry/sdk-trace');

const [specPath, url, protocol, compression] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));

// {"$bytes": [..]} marks a byte-string value in the spec; everything else is plain JSON
function value(v) {
  if (Array.isArray(v)) return v.map(value);
  if (v !== null && typeof v === 'object') {
    if (Array.isArray(v.$bytes)) return Uint8Array.from(v.$bytes);
    if (typeof v.$bigint === 'string') throw new Error('JavaScript numbers cannot carry int64');
    const out = {};
    for (const key of Object.keys(v)) out[key] = value(v[key]);
    return out;
  }
  return v;
}

function attributes(map) {
  const out = {};
  for (const key of Object.keys(map)) out[key] = value(map[key]);
  return out;
}

// nanoseconds since the epoch (decimal string) -> HrTime [seconds, nanoseconds], exactly
function hrTime(ns) {
  const big = BigInt(ns);
  return [Number(big / 1000000000n), Number(big % 1000000000n)];
}

function traceState(header) {
  return header ? api.createTraceState(header) : undefined;
}

const ids = { traceId: '', spanId: '' };
const idGenerator = {
  generateTraceId: () => ids.traceId,
  generateSpanId: () => ids.spanId,
};

const memory = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter: memory });
const provider = new TracerProvider({
  resource: resourceFromAttributes(attributes(spec.resource)),
  idGenerator,
  spanProcessors: [processor],
});

const KINDS = {
  internal: api.SpanKind.INTERNAL,
  server: api.SpanKind.SERVER,
  client: api.SpanKind.CLIENT,
  producer: api.SpanKind.PRODUCER,
  consumer: api.SpanKind.CONSUMER,
};
const STATUS = { unset: api.SpanStatusCode.UNSET, ok: api.SpanStatusCode.OK,
  error: api.SpanStatusCode.ERROR };

for (const s of spec.spans) {
  const tracer = provider.getTracer(s.scope.name, s.scope.version || undefined);
  let ctx = api.ROOT_CONTEXT;
  if (s.parent) {
    ctx = api.trace.setSpanContext(api.ROOT_CONTEXT, {
      traceId: s.trace_id,
      spanId: s.parent.span_id,
      traceFlags: api.TraceFlags.SAMPLED,
      isRemote: true,
      traceState: traceState(s.parent.trace_state),
    });
  }
  ids.traceId = s.trace_id;
  ids.spanId = s.span_id;
  const span = tracer.startSpan(s.name, {
    kind: KINDS[s.kind],
    attributes: attributes(s.attributes),
    startTime: hrTime(s.start_ns),
    links: s.links.map((link) => ({
      context: {
        traceId: link.trace_id,
        spanId: link.span_id,
        traceFlags: api.TraceFlags.SAMPLED,
        isRemote: true,
        traceState: traceState(link.trace_state),
      },
      attributes: attributes(link.attributes),
    })),
  }, ctx);
  for (const event of s.events) {
    span.addEvent(event.name, attributes(event.attributes), hrTime(event.time_ns));
  }
  if (s.status.code !== 'unset') {
    const status = { code: STATUS[s.status.code] };
    if (s.status.message) status.message = s.status.message;
    span.setStatus(status);
  }
  span.end(hrTime(s.end_ns));
}

function makeExporter() {
  const options = { url, timeoutMillis: 10000 };
  if (compression === 'gzip') options.compression = 'gzip';
  if (protocol === 'proto') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter(options);
  }
  if (protocol === 'json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(options);
  }
  throw new Error(`unknown protocol ${protocol}`);
}

async function main() {
  await processor.forceFlush();
  const spans = memory.getFinishedSpans();
  const exporter = makeExporter();
  const result = await new Promise((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  await provider.shutdown();
  const ok = result.code === 0 && spans.length === spec.spans.length;
  const error = result.error ? String(result.error.stack || result.error) : '';
  process.stdout.write(JSON.stringify({ ok, spans: spans.length, error }) + '\n');
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, spans: 0, error: String((err && err.stack) || err) }) + '\n');
  process.exitCode = 2;
});
