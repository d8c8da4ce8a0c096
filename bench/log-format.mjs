// `npm run bench:log-format`: how the recording log's record format was chosen. Both candidates
// the OpenTelemetry specifications offer, measured side by side on the same spans (4 KB request and
// response payloads, as the exporter figures use): OTLP/JSON (the file exporter's encoding, one
// ExportTraceServiceRequest per record) and OTLP/protobuf. For each: the app's side (serialising
// a batch, on the app's thread) and the ingest side (decoding it and converting it to rows, the
// work before the engine). Rounds alternate the formats.
//
//   node bench/log-format.mjs [--smoke] [--json]
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { convertRequest, decodeJsonRequest, decodeProtobufRequest } from '@tracetape/collector';
import { describeMachine } from './machine.mjs';
import { jsonOfSize } from './payload.mjs';

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const BATCH = 512;
const ROUNDS = values.smoke ? 2 : 15;

function makeSpans() {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('bench');
  for (let i = 0; i < BATCH; i++) {
    const span = tracer.startSpan('POST', {
      attributes: {
        'http.request.method': 'POST',
        'url.full': `http://127.0.0.1:4010/v1/chat/completions?n=${i}`,
        'tracetape.kind': 'http',
        'tracetape.input.hash': crypto.randomBytes(32).toString('hex'),
        'tracetape.request': JSON.stringify({ method: 'POST', body: jsonOfSize(4096, { n: i }) }),
        'tracetape.response': JSON.stringify({ status: 200, body: jsonOfSize(4096, { id: crypto.randomUUID() }) }),
      },
    });
    span.end();
  }
  return memory.getFinishedSpans();
}

const FORMATS = {
  'OTLP/JSON': { serialize: (spans) => JsonTraceSerializer.serializeRequest(spans), decode: decodeJsonRequest },
  'OTLP/protobuf': { serialize: (spans) => ProtobufTraceSerializer.serializeRequest(spans), decode: decodeProtobufRequest },
};

function timed(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return { result, us: Number(process.hrtime.bigint() - start) / 1000 };
}

const spans = makeSpans();
const samples = Object.fromEntries(Object.keys(FORMATS).map((name) => [name, { serialize: [], ingest: [], bytes: 0 }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, format] of Object.entries(FORMATS)) {
    const written = timed(() => format.serialize(spans));
    const read = timed(() => convertRequest(format.decode(written.result)));
    if (read.result.rows.length !== spans.length) throw new Error(`${name}: ${read.result.rows.length} of ${spans.length} spans came back`);
    // The first round warms the JIT for both.
    if (round === 0) continue;
    samples[name].serialize.push(written.us / spans.length);
    samples[name].ingest.push(read.us / spans.length);
    samples[name].bytes = written.result.byteLength;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = Object.entries(samples).map(([name, s]) => ({
  format: name,
  serializeUsPerSpan: median(s.serialize),
  ingestUsPerSpan: median(s.ingest),
  bytesPerSpan: s.bytes / spans.length,
}));
if (values.json) {
  process.stdout.write(`${JSON.stringify({ machine: describeMachine(), batch: BATCH, rounds: ROUNDS - 1, rows })}\n`);
} else {
  const base = rows[0];
  process.stdout.write(`log record format, ${BATCH} spans with 4 KB request and response payloads, median of ${ROUNDS - 1} rounds\n`);
  process.stdout.write('format          app: serialise µs/span   ingest: decode+convert µs/span   bytes/span\n');
  for (const row of rows) {
    process.stdout.write(
      `${row.format.padEnd(16)}${row.serializeUsPerSpan.toFixed(1).padStart(8)} (×${(row.serializeUsPerSpan / base.serializeUsPerSpan).toFixed(2)})` +
        `${row.ingestUsPerSpan.toFixed(1).padStart(20)} (×${(row.ingestUsPerSpan / base.ingestUsPerSpan).toFixed(2)})${String(Math.round(row.bytesPerSpan)).padStart(18)}\n`,
    );
  }
}
