import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, expect, it } from 'vitest';
import { CLI, REPO_ROOT, tempDir } from './support/cli.js';

// The collector's per-request limit bounds one request; its in-flight budget bounds them all.
// Before the budget, 32 concurrent bombs held 32 times the per-request limit (2.4 GB at 64 MiB).
const MiB = 1024 * 1024;
const MAX_BODY = 32 * MiB;
const BUDGET = 64 * MiB;
const BOMBS = 32;
/**
 * Room for what the budget does not count: buffers already given back but not yet collected by
 * the GC, zlib's windows, sockets. Measured on a 2-core machine: +153 to +158 MiB with this
 * budget, against +1,053 MiB with none.
 */
const MARGIN = 128 * MiB;

const tmp = tempDir('tracetape-collector-bombs-');
afterAll(() => tmp.remove());

/** The collector's peak resident memory so far (the kernel's high-water mark), in bytes. */
function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** A real export: one span made by the SDK, encoded as an OTLP exporter sends it. */
function honestExport(): Buffer {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  provider.getTracer('bombs-test').startSpan('honest work', { kind: SpanKind.INTERNAL }).end();
  return gzipSync(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);
}

function post(url: string, body: Buffer): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, body });
}

it('keeps its memory within the in-flight budget under concurrent gzip bombs, answers 429 with Retry-After, and keeps serving', { timeout: 120_000 }, async () => {
  const env = { ...process.env, TRACETAPE_DIR: path.join(tmp.dir, 'store'), TRACETAPE_COLLECTOR_MAX_INFLIGHT_BYTES: String(BUDGET) };
  const child = spawn(process.execPath, [CLI, 'collector', '--port', '0', '--max-body-bytes', String(MAX_BODY)], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/\S+\/v1\/traces)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`the collector exited (${code}) before listening:\n${stderr}`)));
    });

    // An honest export first, so the engine has done its first insert: what follows is the bombs' cost.
    expect((await post(url, honestExport())).status).toBe(200);
    const baseline = peakRss(child.pid!);

    // gzip allows concatenated members: 16 copies of 64 MiB of zeros inflate to 1 GiB from ~1 MB.
    const member = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    expect(bomb.length).toBeLessThan(2 * MiB);
    const answers = await Promise.all(
      Array.from({ length: BOMBS }, async () => {
        const response = await post(url, bomb);
        await response.arrayBuffer();
        return { status: response.status, retryAfter: response.headers.get('retry-after') };
      }),
    );
    const peak = peakRss(child.pid!);
    const statuses = answers.map((answer) => answer.status);
    const grew = peak - baseline;
    console.log(`collector peak RSS ${(baseline / MiB).toFixed(0)} MiB before the bombs, ${(peak / MiB).toFixed(0)} MiB after (+${(grew / MiB).toFixed(0)} MiB; budget ${BUDGET / MiB} MiB)`);
    // Each bomb is refused: over the per-request limit (413) or, while others fill the budget, 429.
    expect(statuses.every((status) => status === 413 || status === 429), `statuses: ${statuses.join(' ')}`).toBe(true);
    expect(statuses.filter((status) => status === 429).length, 'the budget turned some bombs away').toBeGreaterThan(0);
    for (const answer of answers) if (answer.status === 429) expect(answer.retryAfter).toMatch(/^\d+$/);
    expect(grew, `the collector grew by ${(grew / MiB).toFixed(0)} MiB`).toBeLessThan(BUDGET + MARGIN);
    expect(stderr).toContain('429');
    expect(stderr).toContain('--max-inflight-bytes');

    // Nothing stays taken: honest senders are served as before.
    for (let i = 0; i < 3; i++) expect((await post(url, honestExport())).status).toBe(200);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  expect(stderr).toMatch(/stored 4 span\(s\) from 36 request\(s\)/);
});
