import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ChdbSpanStore } from '@tracetape/clickhouse';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InflightBudget } from '../src/inflight-budget.js';
import { startCollector, type RunningCollector } from '../src/index.js';
import { tempDir } from './sdk-spans.js';

const MiB = 1024 * 1024;
const tmp = tempDir('collector-budget');
const store = new ChdbSpanStore({ dir: tmp.dir });
let collector: RunningCollector;

beforeAll(async () => {
  await store.init();
  // A budget smaller than one request: a request alone must still get through.
  collector = await startCollector({ store, port: 0, maxBodyBytes: 8 * MiB, maxInflightBytes: 1 * MiB });
});

afterAll(async () => {
  await collector.close();
  await store.close();
  tmp.remove();
});

it('takes a request alone up to the body limit even when it is larger than the budget', async () => {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  provider.getTracer('budget-test').startSpan('big', { attributes: { 'tracetape.test.big': 'x'.repeat(3 * MiB) } }).end();
  const body = gzipSync(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);
  const response = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
    body,
  });
  expect(response.status).toBe(200);
});

it('refuses a second holder past the budget, and has all of it back once the leases are released', () => {
  const budget = new InflightBudget(100);
  const first = budget.lease();
  const second = budget.lease();
  first.add(150); // alone: always taken
  expect(() => second.add(1)).toThrow(/retry after 1 s.*--max-inflight-bytes/);
  first.release();
  second.add(100);
  expect(() => first.add(1)).toThrow(/429|in progress/);
  second.release();
  expect(budget.usedBytes).toBe(0);
});
