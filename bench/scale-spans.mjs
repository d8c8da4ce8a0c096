// Real SDK spans shaped like recorded LLM calls (request, response, input hash and the usual HTTP
// attributes), for the benchmarks that push many spans through the exporter. Payload text comes
// from the seeded prose generator, unique per call, so neither compression nor deduplication can
// turn the figure into a measurement of repeated bytes.
import { SpanKind, TraceFlags, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  ATTR_TRACETAPE_FORMAT,
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_REQUEST,
  ATTR_TRACETAPE_RESPONSE,
  ATTR_TRACETAPE_RUN,
  canonicalJson,
  inputHash,
  TRACETAPE_FORMAT_VERSION,
} from '@tracetape/core';
import { prose, seededRandom } from './conversation-text.mjs';

const URL = 'https://api.openai.example/v1/chat/completions';

// Wraps a chat body in the CapturedRequest / RecordedResponse JSON the capture writes.
function requestJson(body) {
  const normalized = { method: 'POST', url: URL, headers: { 'content-type': 'application/json' }, body: { encoding: 'utf8', data: body, size: Buffer.byteLength(body) } };
  const headers = [
    ['content-type', 'application/json'],
    ['authorization', '[REDACTED]'],
    ['user-agent', 'OpenAI/JS 7.57.0'],
    ['x-stainless-retry-count', '0'],
  ];
  return { normalized, json: JSON.stringify({ normalized, headers }) };
}

function responseJson(body) {
  return JSON.stringify({
    status: 200,
    statusText: 'OK',
    headers: [
      ['content-type', 'application/json'],
      ['x-request-id', `req_${Buffer.from(body.slice(0, 12)).toString('hex')}`],
    ],
    body: { encoding: 'utf8', data: body, size: Buffer.byteLength(body) },
    complete: true,
  });
}

/**
 * Attributes of one recorded chat call whose request and response attributes come to about
 * `requestBytes` and `responseBytes` (within a few bytes), from the seeded `random`.
 */
export function callAttributes(random, { requestBytes, responseBytes, model = 'gpt-bench' }) {
  const chat = (content) => canonicalJson({ messages: [{ content: 'You are a support agent.', role: 'system' }, { content, role: 'user' }], model, temperature: 0.2 });
  const requestOverhead = requestJson(chat('')).json.length;
  const { normalized, json: request } = requestJson(chat(prose(random, Math.max(1, requestBytes - requestOverhead))));
  const completion = (content) =>
    JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
  const responseOverhead = responseJson(completion('')).length;
  const response = responseJson(completion(prose(random, Math.max(1, responseBytes - responseOverhead))));
  return {
    [ATTR_TRACETAPE_KIND]: 'http',
    [ATTR_TRACETAPE_FORMAT]: TRACETAPE_FORMAT_VERSION,
    [ATTR_TRACETAPE_INPUT_HASH]: inputHash(normalized),
    [ATTR_TRACETAPE_REQUEST]: request,
    [ATTR_TRACETAPE_RESPONSE]: response,
    'http.request.method': 'POST',
    'url.full': URL,
    'server.address': 'api.openai.example',
    'http.response.status_code': 200,
    'gen_ai.provider.name': 'openai',
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': model,
  };
}

async function collect(serviceName, record) {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'host.name': 'bench-host' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  record(provider.getTracer('@tracetape/instrumentation', '0.1.0'));
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/**
 * One recorded run: a root span (a process run) and `calls` recorded calls under it, 5 ms apart
 * from `startMs`. The root is ended last, so it is the last span in the returned array.
 */
export function recordedRun({ calls, seed, startMs, requestBytes, responseBytes }) {
  const random = seededRandom(seed);
  return collect('bench-agent', (tracer) => {
    const root = tracer.startSpan('agent.mjs', { kind: SpanKind.INTERNAL, startTime: startMs, attributes: { [ATTR_TRACETAPE_RUN]: 'process' } });
    const ctx = trace.setSpan(context.active(), root);
    for (let i = 0; i < calls; i++) {
      const at = startMs + 1 + i * 5;
      const span = tracer.startSpan('POST', { kind: SpanKind.CLIENT, startTime: at, attributes: callAttributes(random, { requestBytes, responseBytes }) }, ctx);
      span.end(at + 3 + random() * 2);
    }
    root.end(startMs + 2 + calls * 5);
  });
}

/**
 * `count` recorded calls, `perTrace` to a trace, each under a parent span that is not in the
 * result (as when the run's root is exported later): every returned span carries a payload.
 */
export function recordedCalls({ count, perTrace, seed, startMs, requestBytes, responseBytes }) {
  const random = seededRandom(seed);
  const hex = (length) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
  return collect('bench-agent', (tracer) => {
    let ctx;
    for (let i = 0; i < count; i++) {
      if (i % perTrace === 0) {
        ctx = trace.setSpanContext(context.active(), { traceId: hex(32), spanId: hex(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
      }
      const at = startMs + i;
      const span = tracer.startSpan('POST', { kind: SpanKind.CLIENT, startTime: at, attributes: callAttributes(random, { requestBytes, responseBytes }) }, ctx);
      span.end(at + 3);
    }
  });
}
