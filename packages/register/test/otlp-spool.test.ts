import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';
import { OtlpSpanExporter } from '../src/otlp-span-exporter.js';

// The OTLP exporter's spool against a real loopback receiver that goes away, comes back on the
// same port, or refuses. test/outage-otlp.test.ts runs the same through `tracetape collector` and
// real app processes.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-otlp-spool-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Receives OTLP requests on a fixed port; `answer` decides the status. */
class Receiver {
  readonly bodies: Buffer[] = [];
  answer = 200;
  private server: http.Server | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (this.answer === 200) this.bodies.push(Buffer.concat(chunks));
        response.writeHead(this.answer, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Spans made by the real SDK, `count` of them, named so the order they arrive in can be told. */
function spans(name: string, count = 1): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('tracetape-test');
  for (let i = 0; i < count; i++) tracer.startSpan(`${name}-${i}`).end();
  return memory.getFinishedSpans();
}

const encoded = (batch: ReadableSpan[]): Buffer => Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!);

function exportBatch(exporter: OtlpSpanExporter, batch: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(batch, resolve));
}

function spooled(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.otlp.pb')) : [];
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('OtlpSpanExporter spool', () => {
  let receiver: Receiver;
  let spoolDir: string;
  const exporters: OtlpSpanExporter[] = [];

  const exporter = (maxBytes = 1024 * 1024): OtlpSpanExporter => {
    const made = new OtlpSpanExporter({
      target: { url: receiver.url, headers: {} },
      syncTimeoutMs: 5000,
      // Short, so a receiver that is away fails fast instead of the exporter retrying for seconds.
      timeoutMs: 300,
      spoolDir,
      spoolMaxBytes: maxBytes,
      retryBaseMs: 50,
      retryMaxMs: 200,
    });
    exporters.push(made);
    return made;
  };

  beforeEach(async () => {
    receiver = new Receiver(await freePort());
    spoolDir = fs.mkdtempSync(path.join(root, 'spool-'));
  });
  afterEach(async () => {
    for (const made of exporters.splice(0)) made.shutdownSync();
    await receiver.stop();
  });

  it('keeps batches while the receiver is away and sends each once, in order, when it is back', async () => {
    const otlp = exporter();
    const [a, b, c] = [spans('a', 2), spans('b'), spans('c', 3)];
    // Handed over together, as the processor does with a backlog; the app is told "done": the spans are safe on disk.
    const results = await Promise.all([exportBatch(otlp, a!), exportBatch(otlp, b!)]);
    expect(results.map((result) => result.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
    expect(spooled(spoolDir)).toHaveLength(2);
    expect(otlp.spool.stats()).toMatchObject({ exported: 0, spooled: 3, dropped: 0, pending: 3 });

    await receiver.start();
    expect((await exportBatch(otlp, c!)).code).toBe(ExportResultCode.SUCCESS);
    await until('everything delivered', () => receiver.bodies.length === 3);
    expect(receiver.bodies).toEqual([encoded(a!), encoded(b!), encoded(c!)]);
    expect(spooled(spoolDir)).toEqual([]);
    // c is spooled too when it came while a retry was pending (the retry then sends it behind a and b).
    expect(otlp.spool.stats()).toMatchObject({ exported: 6, dropped: 0, pending: 0 });
    expect(otlp.spool.stats().spooled).toBeGreaterThanOrEqual(3);
    expect(otlp.spool.summary()).toBeUndefined();
  });

  it('spools at exit when the receiver is away, and a later exporter on the same directory sends it', async () => {
    const first = exporter();
    const batch = spans('at-exit', 2);
    first.exportSync(batch);
    first.shutdownSync();
    expect(spooled(spoolDir)).toHaveLength(1);
    expect(first.spool.summary()).toMatch(/0 span\(s\) exported, 2 spooled, 0 retried, 0 dropped, 2 still spooled \(.*once the collector at http:\/\/127\.0\.0\.1:\d+\/v1\/traces is back\)/);

    await receiver.start();
    const second = exporter();
    second.spool.start();
    await until('the earlier batch delivered', () => receiver.bodies.length === 1);
    expect(receiver.bodies).toEqual([encoded(batch)]);
    await until('the spool emptied', () => spooled(spoolDir).length === 0);
  });

  it('drops what the receiver refuses, without spooling it', async () => {
    receiver.answer = 401;
    await receiver.start();
    const otlp = exporter();
    const result = await exportBatch(otlp, spans('refused'));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toMatchObject({ code: 'TRACETAPE_OTLP_REFUSED' });
    expect(result.error?.message).toMatch(/refused the spans: HTTP 401/);
    expect(spooled(spoolDir)).toEqual([]);
  });

  it('drops and counts what a full spool cannot keep', async () => {
    const otlp = exporter(64);
    const result = await exportBatch(otlp, spans('too-big', 5));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toMatchObject({ code: 'TRACETAPE_SPOOL_FULL' });
    expect(otlp.spool.stats()).toMatchObject({ spooled: 0, dropped: 5, pending: 0 });
    expect(otlp.spool.summary()).toMatch(/5 dropped.*the spool was full/);
  });
});
