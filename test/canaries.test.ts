import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

const APP = path.join(FIXTURES, 'canaries-app.mjs');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const random = (length: number, alphabet = ALNUM) =>
  Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');

interface Canary {
  /** What the app or the upstream sends. */
  value: string;
  /** The random part, unique to this canary: found anywhere, even partly redacted, it leaked. */
  core: string;
}

/** A canary whose value is the random core with a fixed prefix and suffix (a key's shape). */
function canary(prefix = '', coreLength = 32, alphabet = ALNUM, suffix = ''): Canary {
  const core = random(coreLength, alphabet);
  return { value: `${prefix}${core}${suffix}`, core };
}

/**
 * One canary per place a secret can travel. Values of no recognisable shape are caught by a
 * header name, a query name or a body path (the defaults, or the documented settings below);
 * the others have the shape of a real credential and are caught wherever they appear.
 */
function plantCanaries() {
  const jwt = canary('eyJhbGciOiJIUzI1NiJ9.eyJ', 40);
  return {
    // outbound request
    authorizationHeader: canary(),
    apiKeyHeader: canary(),
    cookieHeader: canary(),
    proxyAuthorizationHeader: canary(),
    customHeader: canary(),
    refererHeader: canary(),
    fetchQuery: canary(),
    urlPath: canary('sk-'),
    httpQuery: canary(),
    urlUserinfo: canary(),
    jsonBodyPath: canary(),
    jsonBodyShape: canary('sk-ant-api03-'),
    formBody: canary(),
    textBody: { value: `${jwt.value}.${random(20)}`, core: jwt.core },
    // response
    setCookieHeader: canary(),
    locationHeader: canary(),
    responseHeaderShape: canary('', 30),
    responseJson: canary('sk-proj-', 40),
    responseText: canary('AKIA', 16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
    sseChunk: canary('ghp_', 36),
    // errors
    errorMessage: canary('sk-'),
    statusMessage: canary('AIza', 35),
    exceptionEvent: canary('xoxb-', 30),
    // inbound request
    inboundQuery: canary(),
    inboundHeader: canary(),
  };
}

type Canaries = ReturnType<typeof plantCanaries>;

const store = tempDir('tracetape-canaries-');

let upstream: CountingServer;
let canaries: Canaries;
/** What reached the upstream: proof that each request canary really went out. */
const seen: string[] = [];

beforeAll(async () => {
  canaries = plantCanaries();
  const c = canaries;
  upstream = await startCountingServer((request) => {
    seen.push(`${request.method} ${request.url} ${JSON.stringify(request.headers)} ${request.body}`);
    if (request.url.includes('/chat')) {
      return {
        headers: { 'set-cookie': `sid=${c.setCookieHeader.value}; HttpOnly`, 'x-upstream-note': `Bearer ${c.responseHeaderShape.value}` },
        body: JSON.stringify({ ok: true, issued: { api_key: c.responseJson.value } }),
      };
    }
    if (request.url === '/notes') return { status: 201, headers: { location: `/notes/1?token=${c.locationHeader.value}` }, body: '{"ok":true}' };
    // Never answered: the app gives up on it with an error of its own.
    if (request.url === '/v1/slow') return new Promise<never>(() => {});
    if (request.url === '/login') return { headers: { 'content-type': 'text/plain' }, body: `welcome, your access key id is ${c.responseText.value}` };
    if (request.url === '/v1/stream') {
      return {
        headers: { 'content-type': 'text/event-stream' },
        body: ['data: {"delta":"hello"}\n\n', `data: {"delta":"use ${c.sseChunk.value}"}\n\n`, 'data: [DONE]\n\n'],
        chunkDelayMs: 5,
      };
    }
    return { body: JSON.stringify({ ok: true }) };
  });
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

/** Every file under a directory, with its raw bytes. */
function filesUnder(dir: string): Array<{ file: string; bytes: Buffer }> {
  if (!fs.existsSync(dir)) return [];
  const out: Array<{ file: string; bytes: Buffer }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, bytes: fs.readFileSync(file) });
  }
  return out;
}

/** Names of the canaries whose core occurs in `haystack`, each with where. */
function leaks(where: string, haystack: Buffer | string): string[] {
  const found: string[] = [];
  for (const [name, { core }] of Object.entries(canaries)) if (haystack.includes(core)) found.push(`${name} in ${where}`);
  return found;
}

describe.each(['interceptor', 'channels'])('no canary reaches anything tracetape writes (capture source: %s)', (source) => {
  const storeDir = path.join(store.dir, source, 'store');
  /** The CLI and the app write their temporary files here, so those are searched too. */
  const tmp = path.join(store.dir, source, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  /** The settings SECURITY.md names for values that no default name or shape catches. */
  const env = {
    TRACETAPE_DIR: storeDir,
    TMPDIR: tmp,
    TRACETAPE_CAPTURE_SOURCE: source,
    TRACETAPE_REDACT_HEADERS: 'x-session-token',
    TRACETAPE_REDACT_BODY_PATHS: '$.password',
  };
  let traceId: string;

  it('records an app that carries a canary in each of 25 places', async () => {
    seen.length = 0;
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, CANARIES: JSON.stringify(valuesOf(canaries)) });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toContain('json: 200 true true');
    expect(recorded.stdout).toContain('form: 200 true');
    expect(recorded.stdout).toContain('text: 201 true true');
    expect(recorded.stdout).toContain('sse: 200 true');
    expect(recorded.stdout).toContain('userinfo: 200');
    expect(recorded.stdout).toContain('error: failed');
    expect(recorded.stdout).toContain('inbound: 200 inbound ok');
    traceId = recordedTraceId(recorded.stderr);
    // Every request canary really left the app (a canary never sent would prove nothing).
    const wire = seen.join('\n');
    const sentByApp: Array<keyof Canaries> = [
      'authorizationHeader',
      'apiKeyHeader',
      'cookieHeader',
      'proxyAuthorizationHeader',
      'customHeader',
      'refererHeader',
      'fetchQuery',
      'urlPath',
      'httpQuery',
      'jsonBodyPath',
      'jsonBodyShape',
      'formBody',
      'textBody',
    ];
    for (const name of sentByApp) expect(wire.includes(canaries[name].core), `${name} reached the upstream`).toBe(true);
    // The user info travels as basic credentials.
    expect(wire).toContain(Buffer.from(`ada:${canaries.urlUserinfo.value}`).toString('base64'));
  });

  it('finds none in the recording log, read raw before anything ingests it', () => {
    const files = filesUnder(storeDir);
    const logFiles = files.filter(({ file }) => path.relative(storeDir, file).startsWith('tracetape-log'));
    // The log holds the run (so an empty scan cannot pass), with placeholders in place of the canaries.
    const log = Buffer.concat(logFiles.map(({ bytes }) => bytes));
    expect(log.includes(traceId), 'the recording log holds the run').toBe(true);
    expect(log.includes('[REDACTED]')).toBe(true);
    const found = [...files, ...filesUnder(tmp)].flatMap(({ file, bytes }) => leaks(file, bytes));
    expect(found).toEqual([]);
  });

  it('finds none in any column of any table or view of the store, nor in any file under it', async () => {
    const tables = await queryRows<{ name: string; engine: string }>(
      'SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name',
      env,
    );
    const names = tables.map((table) => table.name);
    expect(names).toEqual(expect.arrayContaining(['otel_traces', 'otel_traces_trace_id_ts', 'tracetape_payloads', 'tracetape_payloads_text']));
    const dumps = new Map<string, string>();
    for (const { name } of tables) {
      const dump = await tracetape(['query', `SELECT * FROM \`${name}\``, '--format', 'json'], env);
      expect(dump.code, `${name}: ${dump.stderr}`).toBe(0);
      dumps.set(name, dump.stdout);
    }
    const spans = dumps.get('otel_traces')!;
    expect(spans).toContain(traceId);
    // The error canaries' places exist, each with a placeholder where its canary was.
    expect(spans).toContain('charge failed for [REDACTED]');
    expect(spans).toContain('card processor rejected [REDACTED]');
    const failedCall = await queryRows<{ response: string }>(
      `SELECT SpanAttributes['tracetape.response'] AS response FROM otel_traces WHERE SpanAttributes['tracetape.response'] LIKE '%upstream refused%'`,
      env,
    );
    expect(failedCall.map((row) => JSON.parse(row.response).error)).toEqual(['upstream refused key [REDACTED]']);
    expect([...dumps.values()].join('\n')).toContain('[REDACTED]');
    const found = [...dumps].flatMap(([table, dump]) => leaks(`table ${table}`, dump));
    found.push(...[...filesUnder(storeDir), ...filesUnder(tmp)].flatMap(({ file, bytes }) => leaks(file, bytes)));
    expect(found).toEqual([]);
  });

  it('finds none in a tape or a fixture written from the run', async () => {
    const tapeFile = path.join(store.dir, source, 'run.tape.json');
    const written = await tracetape(['tape', traceId, '-o', tapeFile], env);
    expect(written.code, written.stderr).toBe(0);
    const fixtures = path.join(store.dir, source, 'fixtures');
    const fixture = await tracetape(['fixture', traceId, '-o', fixtures], env);
    expect(fixture.code, fixture.stderr).toBe(0);
    const files = [{ file: tapeFile, bytes: fs.readFileSync(tapeFile) }, ...filesUnder(fixtures)];
    expect(files.length).toBeGreaterThan(1);
    expect(files.flatMap(({ file, bytes }) => leaks(file, bytes))).toEqual([]);
  });
});

function valuesOf(planted: Canaries): Record<string, string> {
  return Object.fromEntries(Object.entries(planted).map(([name, { value }]) => [name, value]));
}
