import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

const store = tempDir('tracetape-secrets-');
const env = {
  TRACETAPE_DIR: path.join(store.dir, 'store'),
  TRACETAPE_REDACT_BODY_PATHS: '$.password,$.card.number,$.messages[*].api_key',
};
const APP = path.join(FIXTURES, 'secrets-everywhere-app.mjs');
/** Every table tracetape writes; SHOW TABLES adds any other one the store has. */
const KNOWN_TABLES = ['otel_traces', 'otel_traces_trace_id_ts', 'tracetape_payloads'];

const random = (length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') =>
  Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');

/** Secrets only a name or a path gives away: random values of no recognisable shape. */
function plantedSecrets() {
  return {
    token: `tok${random(24)}`,
    sig: `sig${random(24)}`,
    cookie: `ck${random(24)}`,
    proxy: `px${random(24)}`,
    password: `pw${random(24)}`,
    card: random(16, '0123456789'),
    bearer: `br${random(30)}`,
    responseKey: `sk-resp${random(32)}`,
    setCookie: `sc${random(24)}`,
  };
}

let upstream: CountingServer;
let planted: ReturnType<typeof plantedSecrets>;

beforeAll(async () => {
  planted = plantedSecrets();
  upstream = await startCountingServer(() => ({
    headers: { 'set-cookie': `sid=${planted.setCookie}; HttpOnly` },
    body: JSON.stringify({ ok: true, issued: { api_key: planted.responseKey } }),
  }));
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

async function tableDump(table: string): Promise<string> {
  const result = await tracetape(['query', `SELECT * FROM ${table}`, '--format', 'json'], env);
  expect(result.code, `${table}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('no secret is stored', () => {
  const key1 = `sk-proj-${random(40)}`;
  const key2 = `sk-proj-${random(40)}`;
  let firstTrace: string;

  it('records a run carrying secrets everywhere, and no column of any table holds one', async () => {
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, API_KEY: key1, PLANTED: JSON.stringify(planted) });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toContain('json: 200 true');
    firstTrace = recordedTraceId(recorded.stderr);
    // The secrets really went out: the upstream saw them.
    expect(upstream.seenHeaders[0]?.authorization).toBe(`Bearer ${key1}`);

    const shown = await tracetape(['query', 'SHOW TABLES', '--format', 'json'], env);
    const tables = new Set(KNOWN_TABLES);
    if (shown.code === 0) for (const match of shown.stdout.matchAll(/"name"\s*:\s*"([A-Za-z0-9_]+)"/g)) tables.add(match[1]!);
    const dumps = new Map<string, string>();
    for (const table of tables) dumps.set(table, await tableDump(table));

    const everything = [...dumps.values()].join('\n');
    // The recording is there (so an empty scan cannot pass), placeholders in place of the secrets.
    expect(dumps.get('otel_traces')).toContain(firstTrace);
    expect(dumps.get('otel_traces')).toContain('ResourceAttributes');
    expect(everything).toContain('[REDACTED]');
    expect(everything).toContain('gpt-4o-mini');
    for (const [name, secret] of Object.entries({ ...planted, key: key1 })) {
      for (const [table, dump] of dumps) expect(dump.includes(secret), `${name} found in ${table}`).toBe(false);
    }
  });

  it('replays the first recording with a rotated key: the hash ignores it and nothing reaches the network', async () => {
    const second = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, API_KEY: key2, PLANTED: JSON.stringify(plantedSecrets()) });
    expect(second.code, second.stderr).toBe(0);
    upstream.reset();
    const replayed = await tracetape(['replay', firstTrace, '--', 'node', APP], {
      ...env,
      UPSTREAM_URL: upstream.url,
      API_KEY: key2,
      PLANTED: JSON.stringify(plantedSecrets()),
    });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toContain('json: 200 true');
    expect(replayed.stdout).toContain('text: 200 true');
    expect(replayed.stderr).toMatch(/2 served, 0 unconsumed, 0 blocked/);
    expect(upstream.count()).toBe(0);
  });

  it('replays a recorded response body with its secrets as placeholders', async () => {
    const tapeFile = path.join(store.dir, 'tape.json');
    const written = await tracetape(['tape', firstTrace, '-o', tapeFile], env);
    expect(written.code, written.stderr).toBe(0);
    const tape = fs.readFileSync(tapeFile, 'utf8');
    expect(tape).toContain('[REDACTED]');
    expect(tape).not.toContain(planted.responseKey);
  });
});
