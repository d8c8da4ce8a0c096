import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

const store = tempDir('tracetape-nd-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const app = ['node', path.join(FIXTURES, 'nondeterminism-app.mjs')];
let upstream: CountingServer;

beforeAll(async () => {
  // The upstream echoes the body: it carries a UUID and a timestamp, so the request only matches if they replay.
  upstream = await startCountingServer(({ body }) => ({ body: JSON.stringify({ echoed: JSON.parse(body), n: Math.random() }) }));
});
afterAll(async () => {
  await upstream.close();
  store.remove();
});

const spanIdOf = (stderr: string) => /span id: ([0-9a-f]{16})/.exec(stderr)?.[1];

describe('clock, random and ID reads', () => {
  let traceId: string;
  let recordedStdout: string;
  let recordedSpanId: string | undefined;

  beforeAll(async () => {
    const recorded = await tracetape(['record', '--', ...app], { ...env, UPSTREAM_URL: upstream.url });
    expect(recorded.code, recorded.stderr).toBe(0);
    traceId = recordedTraceId(recorded.stderr);
    recordedStdout = recorded.stdout;
    recordedSpanId = spanIdOf(recorded.stderr);
  });

  it('replays a run that reads every source byte-identically, with fresh span IDs', async () => {
    upstream.reset();
    const replayed = await tracetape(['replay', traceId, '--', ...app], { ...env, UPSTREAM_URL: upstream.url });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recordedStdout);
    expect(upstream.count()).toBe(0);
    expect(replayed.stderr).toMatch(/clock reads: 10\d\d\d of 10\d\d\d recorded served\n/);
    expect(replayed.stderr).toContain('random reads: 1 of 1 recorded served');
    // The SDK drew its IDs from the real source: the replayed run's span is a new span.
    expect(spanIdOf(replayed.stderr)).toMatch(/^[0-9a-f]{16}$/);
    expect(spanIdOf(replayed.stderr)).not.toBe(recordedSpanId);
  });

  it('differs from a plain re-run (the sources really are non-deterministic)', async () => {
    const again = await tracetape(['record', '--', ...app], { ...env, UPSTREAM_URL: upstream.url });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n').slice(3, 10)).not.toEqual(recordedStdout.split('\n').slice(3, 10));
  });

  it('records only the app\'s reads, compactly, in one attribute on the root span', async () => {
    const tape = JSON.parse((await tracetape(['tape', traceId, '--json'], env)).stdout);
    // One Math.random in the app; the SDK's span and trace IDs drew many more, none recorded.
    expect(tape.nondeterminism.random).toHaveLength(1);
    expect(tape.nondeterminism.uuid).toHaveLength(4);
    expect(tape.nondeterminism.bytes).toHaveLength(3);
    expect(tape.nondeterminism.clock.deltas.length).toBeGreaterThanOrEqual(10_003);
    const keys = await tracetape(
      ['query', `SELECT arrayFilter(k -> startsWith(k, 'tracetape.'), mapKeys(SpanAttributes)) AS keys FROM otel_traces WHERE TraceId = '${traceId}' AND ParentSpanId = ''`, '--format', 'json'],
      env,
    );
    expect(JSON.parse(keys.stdout).keys).toEqual(expect.arrayContaining(['tracetape.nondeterminism', 'tracetape.run']));
    expect(JSON.parse(keys.stdout).keys.length).toBeLessThanOrEqual(3);
  });

  it('answers reads beyond the recording from the real source, and fails them under --strict', async () => {
    const extraEnv = { ...env, UPSTREAM_URL: upstream.url, EXTRA_DRAW: '1' };
    const lenient = await tracetape(['replay', traceId, '--', ...app], extraEnv);
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stdout).toBe(`${recordedStdout.trimEnd()}\nan extra draw: true\n`);
    expect(lenient.stderr).toContain('random reads: 1 of 1 recorded served, 1 beyond the recording (real values used)');
    const strict = await tracetape(['replay', traceId, '--strict', '--', ...app], extraEnv);
    expect(strict.code).toBe(1);
  });
});
