import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ExportTraceServiceResponse } from '@tracetape/collector';
import { ATTR_TRACETAPE_INPUT_HASH, ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE } from '@tracetape/core';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, tempDir, tracetape } from './support/cli.js';

// "Under load": many senders push OTLP/protobuf to `tracetape collector` at once, and every span
// it acknowledged must be in the store afterwards: none lost between the 200 and the close.
const SENDERS = 24;
const DURATION_MS = 8_000;
/** Stops the run even on a machine fast enough to send far more in DURATION_MS. */
const MAX_REQUESTS = 20_000;
const SPANS_PER_REQUEST = 20;

const tmp = tempDir('tracetape-collector-load-');
afterAll(() => tmp.remove());

const memory = new InMemorySpanExporter();
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'load-test' }),
  spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
});
const tracer = provider.getTracer('tracetape-load-test');

/** One trace of fresh spans (an agent run and its calls), encoded as the register hook's exporter sends it. */
function nextRequestBody(sequence: number): Uint8Array {
  const root = tracer.startSpan(`run ${sequence}`, { kind: SpanKind.SERVER });
  const ctx = trace.setSpan(context.active(), root);
  for (let call = 1; call < SPANS_PER_REQUEST; call++) {
    const span = tracer.startSpan(
      'POST',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_TRACETAPE_REQUEST]: JSON.stringify({ method: 'POST', url: `http://upstream/v1/chat/${call}`, body: { q: 'hello', sequence } }),
          [ATTR_TRACETAPE_RESPONSE]: JSON.stringify({ status: 200, headers: {}, body: { answer: 'x'.repeat(200) } }),
          [ATTR_TRACETAPE_INPUT_HASH]: call.toString(16).padStart(64, '0'),
          'http.response.status_code': 200,
        },
      },
      ctx,
    );
    span.end();
  }
  root.end();
  // Synchronous from start to reset, so concurrent senders never take each other's spans.
  const spans = memory.getFinishedSpans();
  memory.reset();
  return ProtobufTraceSerializer.serializeRequest(spans)!;
}

/** The collector's peak resident memory so far (the kernel's high-water mark), in bytes. */
function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

describe('tracetape collector under load', () => {
  it('stores exactly the spans it acknowledged, and reports rate and memory', { timeout: 120_000 }, async () => {
    const env = { ...process.env, TRACETAPE_DIR: path.join(tmp.dir, 'store') };
    const child = spawn(process.execPath, [CLI, 'collector', '--port', '0'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/\S+\/v1\/traces)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`the collector exited (${code}) before listening:\n${stderr}`)));
    });
    expect(new URL(url).hostname).toBe('127.0.0.1');

    let started = 0;
    let acknowledged = 0;
    const refusals = new Map<number, number>();
    const startedAt = performance.now();
    const deadline = startedAt + DURATION_MS;
    const sender = async () => {
      while (performance.now() < deadline && started < MAX_REQUESTS) {
        const body = nextRequestBody(started++);
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
        const reply = new Uint8Array(await response.arrayBuffer());
        if (response.status !== 200) {
          refusals.set(response.status, (refusals.get(response.status) ?? 0) + 1);
          continue;
        }
        const partial = ExportTraceServiceResponse.decode(reply).partialSuccess;
        acknowledged += SPANS_PER_REQUEST - Number(partial?.rejectedSpans ?? 0);
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, sender));
    const elapsedS = (performance.now() - startedAt) / 1000;
    const collectorPeak = peakRss(child.pid!);

    // SIGTERM: the collector finishes requests in progress, flushes its writes and closes the store.
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain(`stored ${acknowledged} span(s) from ${started} request(s)`);

    const counted = await tracetape(['query', 'SELECT count() AS spans FROM otel_traces', '--format', 'json'], { TRACETAPE_DIR: env.TRACETAPE_DIR });
    expect(counted.code, counted.stderr).toBe(0);
    const stored = Number((JSON.parse(counted.stdout.trim().split('\n')[0]!) as { spans: number | string }).spans);

    console.log(
      `collector load: ${SENDERS} senders, ${started} requests in ${elapsedS.toFixed(1)} s, ` +
        `${acknowledged} spans acknowledged (${Math.round(acknowledged / elapsedS)} spans/s), ${stored} stored, ` +
        `refused: ${JSON.stringify(Object.fromEntries(refusals))}, collector peak RSS ${(collectorPeak / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(acknowledged).toBeGreaterThan(0);
    expect(stored).toBe(acknowledged);
  });
});
