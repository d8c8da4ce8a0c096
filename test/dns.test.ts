import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startDnsServer, type DnsServer } from './support/dns-server.js';

// Issue 15 item 6: DNS questions are a door. Recorded against a real resolver on loopback, then
// answered from the tape with no query sent; a changed question diverges, naming the name.
const store = tempDir('tracetape-dns-');
const app = ['node', path.join(FIXTURES, 'dns-app.mjs')];
let server: DnsServer;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startDnsServer({ a: { 'api.internal': ['10.1.2.3', '10.1.2.4'] }, txt: { 'config.internal': ['mode=blue'] } });
  env = { TRACETAPE_DIR: path.join(store.dir, 'store'), DNS_PORT: String(server.port) };
});

afterAll(async () => {
  await server.close();
  store.remove();
});

describe('the DNS door', () => {
  it('records the answers and errors, and replays them without asking the resolver', async () => {
    const recorded = await tracetape(['record', '--', ...app], env);
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toContain('resolve4: 10.1.2.3,10.1.2.4');
    expect(recorded.stdout).toContain('resolveTxt: [["mode=blue"]]');
    expect(recorded.stdout).toContain('missing: ENOTFOUND');
    expect(recorded.stdout).toContain('lookup: 127.0.0.1 4');
    expect(server.queries()).toBe(3);
    const traceId = recordedTraceId(recorded.stderr);

    const tape = await tracetape(['tape', traceId, '--json'], env);
    expect(tape.code, tape.stderr).toBe(0);
    const entries = (JSON.parse(tape.stdout) as { entries: Array<{ kind: string; request: { normalized: { method: string; url: string } } }> }).entries;
    expect(entries.filter((entry) => entry.kind === 'dns').map((entry) => `${entry.request.normalized.method} ${entry.request.normalized.url}`)).toEqual([
      'resolve4 dns:api.internal',
      'resolveTxt dns:config.internal',
      'resolve4 dns:missing.internal',
      'lookup dns:localhost',
    ]);

    const replayed = await tracetape(['replay', traceId, '--', ...app], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(server.queries()).toBe(3);
  });

  it('a changed question is a divergence naming the name, and nothing is asked', async () => {
    const recorded = await tracetape(['record', '--', ...app], env);
    expect(recorded.code, recorded.stderr).toBe(0);
    const before = server.queries();
    const replayed = await tracetape(['replay', recordedTraceId(recorded.stderr), '--', ...app], { ...env, DNS_NAME: 'api-v2.internal' });
    expect(replayed.code).not.toBe(0);
    expect(replayed.stderr).toMatch(/DIVERGED at call #\d+: resolve4 dns:api-v2\.internal is not on the tape/);
    expect(replayed.stderr).toMatch(/url\.path\s+api\.internal\s+api-v2\.internal/);
    expect(server.queries()).toBe(before);
  });
});
