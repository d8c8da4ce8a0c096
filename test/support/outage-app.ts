import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { IngestState, listSegments, readSegment, RecordType } from '@tracetape/log';
import { expect } from 'vitest';
import { FIXTURES, queryRows, REPO_ROOT } from './cli.js';

// What the outage tests share: the app they drive call by call, and how they check that each span
// reached the store exactly once.
export const REGISTER = path.join(REPO_ROOT, 'packages/register/dist/index.js');
export const APP = path.join(FIXTURES, 'outage-app.mjs');

/** Polls `condition` every 50 ms; fails the test after `timeoutMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** test/fixtures/outage-app.mjs under capture, driven call by call through its stdin. */
export class OutageApp {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(cwd: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', REGISTER, APP], { cwd, env: { ...process.env, ...env } });
    this.child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('close', resolve));
  }

  async call(n: number): Promise<void> {
    this.child.stdin.write('next\n');
    await until(`call ${n}`, () => this.stdout.includes(`call ${n}\n`));
  }

  /** What tracetape reported to the app's own MeterProvider (METRICS=1), collected now. */
  async metrics(): Promise<Record<string, number>> {
    const lines = (): string[] => this.stdout.split('\n').filter((line) => line.startsWith('metrics '));
    const before = lines().length;
    this.child.stdin.write('metrics\n');
    await until('metrics', () => lines().length > before);
    return JSON.parse(lines().at(-1)!.slice('metrics '.length)) as Record<string, number>;
  }

  /**
   * Waits until the app's counters show the outage drained (nothing pending, at least `exported`
   * spans exported), checks the outage's spans were held in the log (`spooled`) and none dropped,
   * and returns them.
   */
  async expectDrainedInMetrics(exported: number, spooled: number): Promise<Record<string, number>> {
    let counted: Record<string, number> = {};
    await until('the drain in the metrics', async () => {
      counted = await this.metrics();
      return counted['tracetape.spans.pending'] === 0 && counted['tracetape.spans.exported']! >= exported;
    });
    expect(counted['tracetape.spans.spooled']).toBeGreaterThanOrEqual(spooled);
    expect(counted['tracetape.spans.dropped']).toBe(0);
    return counted;
  }
}

/** The recording log's segment files. */
export function logSegments(logDir: string): string[] {
  return listSegments(logDir).map((segment) => segment.file);
}

/** Spans in the recording log that no shipper has delivered yet (past each segment's shipped offset). */
export function waitingSpans(logDir: string): number {
  const state = new IngestState(logDir);
  let spans = 0;
  for (const segment of listSegments(logDir)) {
    const read = readSegment(segment.path, state.offset(segment.file));
    for (const record of read.records) {
      if (record.type !== RecordType.Spans) continue;
      const request = JSON.parse(record.payload.toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
      for (const resource of request.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
    }
  }
  return spans;
}

/** The trace IDs of the runs the hook wrote to TRACETAPE_RUN_FILE. */
export function runTraceIds(env: Record<string, string>): string[] {
  return fs
    .readFileSync(env.TRACETAPE_RUN_FILE!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { traceId: string }).traceId);
}

export interface StoredSpan {
  SpanId: string;
  copies: string;
  recorded: string;
}

/** Each stored span of a trace with how many copies of it the store holds; `store` selects the store. */
export async function storedSpans(store: Record<string, string>, traceId: string): Promise<StoredSpan[]> {
  const sql =
    `SELECT SpanId, toString(count()) AS copies, toString(max(SpanAttributes['tracetape.input.hash'] != '')) AS recorded ` +
    `FROM otel_traces WHERE TraceId = '${traceId}' GROUP BY SpanId`;
  return queryRows<StoredSpan>(sql, store);
}

/** Each call recorded once, and no SpanId twice. */
export function expectExactlyOnce(spans: StoredSpan[], calls: number): void {
  expect(spans.filter((span) => span.copies !== '1')).toEqual([]);
  expect(spans.filter((span) => span.recorded === '1')).toHaveLength(calls);
}
