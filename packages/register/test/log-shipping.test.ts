import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { IngestLock, listSegments, LogWriter } from '@tracetape/log';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';
import { BackgroundShipper } from '../src/export/background-shipper.js';
import { LogBacklog } from '../src/export/log-backlog.js';
import { LogSpanExporter } from '../src/export/log-span-exporter.js';
import { OtlpSender } from '../src/export/otlp-sender.js';
import { OtlpShipper } from '../src/export/otlp-shipper.js';
import { zeroCounts } from '../src/export/shipping-counts.js';
import { ShippingTeller } from '../src/export/shipping-teller.js';

// Shipping the recording log over OTLP against a real loopback receiver that goes away, comes back
// on the same port, or refuses. test/outage-otlp.test.ts runs the same through `tracetape
// collector` and real app processes, and test/outage.test.ts through a ClickHouse server.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-log-shipping-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Receives OTLP requests on a fixed port; `answer` decides the status. */
class Receiver {
  readonly bodies: Buffer[] = [];
  readonly contentTypes: string[] = [];
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
        const body = Buffer.concat(chunks);
        // The shipper's probe (an empty export) asks whether anyone is there: not a delivery.
        if (this.answer === 200 && !body.equals(Buffer.from('{"resourceSpans":[]}'))) {
          this.bodies.push(body);
          this.contentTypes.push(String(request.headers['content-type']));
        }
        response.writeHead(this.answer, { 'content-type': 'application/json' }).end('{}');
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

/** The span names of an OTLP/JSON request, in order. */
function names(body: Buffer): string[] {
  const request = JSON.parse(body.toString('utf8')) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
  return request.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name)));
}

describe('shipping the recording log over OTLP', () => {
  let receiver: Receiver;
  let logDir: string;

  const shipper = (): OtlpShipper =>
    // Short, so a receiver that is away fails fast instead of the transport retrying for seconds.
    new OtlpShipper(new OtlpSender({ target: { url: receiver.url, headers: {} }, timeoutMs: 300 }), logDir);

  const app = (): LogSpanExporter => new LogSpanExporter(new LogWriter({ dir: logDir, maxBytes: 1024 * 1024 }));

  beforeEach(async () => {
    receiver = new Receiver(await freePort());
    logDir = fs.mkdtempSync(path.join(root, 'log-'));
  });
  afterEach(() => receiver.stop());

  it('keeps records while the receiver is away and sends each once, in order, as recorded, when it is back', async () => {
    const writer = app();
    writer.exportSync(spans('a', 2));
    writer.exportSync(spans('b'));
    const otlp = shipper();
    await expect(otlp.ship()).rejects.toMatchObject({ code: 'TRACETAPE_OTLP_UNREACHABLE' });
    expect(new LogBacklog(logDir).pending()).toBe(3);

    await receiver.start();
    writer.exportSync(spans('c', 3));
    expect((await otlp.ship()).shipped).toBe(6);
    expect(receiver.bodies.map(names)).toEqual([['a-0', 'a-1'], ['b-0'], ['c-0', 'c-1', 'c-2']]);
    expect(receiver.contentTypes).toEqual(['application/json', 'application/json', 'application/json']);
    // Delivered once: a second pass has nothing to send.
    expect((await otlp.ship()).shipped).toBe(0);
    expect(receiver.bodies).toHaveLength(3);
    expect(new LogBacklog(logDir).pending()).toBe(0);
    // The writer has not ended its segment: it stays for what comes next.
    expect(listSegments(logDir)).toHaveLength(1);
    writer.shutdownSync();
    expect((await otlp.ship()).removedSegments).toBe(1);
    expect(listSegments(logDir)).toEqual([]);
  });

  it('ships what an earlier process left, from a new shipper on the same directory', async () => {
    const first = app();
    first.exportSync(spans('left', 2));
    first.shutdownSync();
    await expect(shipper().ship()).rejects.toMatchObject({ code: 'TRACETAPE_OTLP_UNREACHABLE' });
    await receiver.start();
    const report = await shipper().ship();
    expect(report).toMatchObject({ shipped: 2, removedSegments: 1 });
    expect(receiver.bodies.map(names)).toEqual([['left-0', 'left-1']]);
  });

  it('drops what the receiver refuses for good, says why, and moves on', async () => {
    receiver.answer = 401;
    await receiver.start();
    const writer = app();
    writer.exportSync(spans('refused', 2));
    const report = await shipper().ship();
    expect(report.shipped).toBe(0);
    expect(report.refused).toEqual([{ spans: 2, reason: expect.stringMatching(/refused the spans: HTTP 401/) }]);
    expect(new LogBacklog(logDir).pending()).toBe(0);
  });

  it('leaves the log alone while another process ships it', async () => {
    await receiver.start();
    app().exportSync(spans('theirs'));
    const other = new IngestLock(logDir);
    // A live pid that is not this process: the parent of the test runner.
    fs.writeFileSync(other.file, String(process.ppid));
    try {
      expect((await shipper().ship()).busyPid).toBe(process.ppid);
      expect(receiver.bodies).toEqual([]);
    } finally {
      fs.rmSync(other.file, { force: true });
    }
    expect((await shipper().ship()).shipped).toBe(1);
  });

  it('passes over control records at exit without the receiver, and removes finished segments', async () => {
    const writer = app();
    writer.announceRun({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), name: 'run', serviceName: 'svc', processPath: '0', startNs: 1n });
    writer.shutdownSync();
    const otlp = shipper();
    expect(otlp.hasWork()).toBe(false);
    expect(otlp.settleSync()).toMatchObject({ removedSegments: 1 });
    expect(listSegments(logDir)).toEqual([]);
  });

  it('ships in the background, never throws into the app, and counts what an outage held back', async () => {
    const writer = app();
    const backlog = new LogBacklog(logDir);
    const counts = zeroCounts();
    const background = new BackgroundShipper(shipper(), backlog, counts, new ShippingTeller(receiver.url, logDir), { retryBaseMs: 20, retryMaxMs: 50 });
    try {
      writer.exportSync(spans('away', 2));
      background.nudge();
      await until(() => background.last.kind === 'failed');
      expect(background.last).toMatchObject({ kind: 'failed', unreachable: true });
      expect(counts.spooled).toBe(2);
      await receiver.start();
      await until(() => counts.exported === 2);
      writer.exportSync(spans('back'));
      background.nudge();
      await until(() => counts.exported === 3);
      // Each span was held once, however many tries the outage took.
      expect(counts).toMatchObject({ exported: 3, spooled: 2, refused: 0 });
      expect(counts.retried).toBeGreaterThanOrEqual(2);
      expect(backlog.pending()).toBe(0);
    } finally {
      background.stop();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
