import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { ChdbSpanStore } from '@tracetape/clickhouse';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../src/index.js';
import { sdkSpans, tempDir } from './sdk-spans.js';

// A file of its own: the peak memory of this process is what the test measures.
const tmp = tempDir('collector-bomb');
const store = new ChdbSpanStore({ dir: tmp.dir });
const LIMIT = 8 * 1024 * 1024;
const INFLATED = 1024 * 1024 * 1024;
let collector: RunningCollector;

beforeAll(async () => {
  await store.init();
  collector = await startCollector({ store, port: 0, maxBodyBytes: LIMIT });
});

afterAll(async () => {
  await collector.close();
  await store.close();
  tmp.remove();
});

/** Peak resident memory of this process so far, in bytes. */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

it('refuses a gzip bomb with 413 while its memory stays bounded by the limit, not the inflated size', async () => {
  // gzip allows concatenated members: 16 copies of 64 MiB of zeros inflate to 1 GiB from ~1 MB.
  const member = gzipSync(Buffer.alloc(INFLATED / 16), { level: 9 });
  const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
  expect(bomb.length).toBeLessThan(LIMIT);
  const before = peakRss();

  const response = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
    body: bomb,
  });

  expect(response.status).toBe(413);
  expect(peakRss() - before).toBeLessThan(256 * 1024 * 1024);
  const rows = await store.query('SELECT count() FROM otel_traces', 'TabSeparated');
  expect(rows.trim()).toBe('0');

  // And it still serves honest senders afterwards.
  const spans = await sdkSpans();
  const ok = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
    body: gzipSync(ProtobufTraceSerializer.serializeRequest(spans)!),
  });
  expect(ok.status).toBe(200);
});
