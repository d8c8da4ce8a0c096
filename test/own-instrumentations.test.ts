import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, startRecordingServer, tempDir, tracetape, type CliResult } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { startMariaDb, startPostgres, startRedis, type MariaDbServer, type PostgresServer, type RedisDatabase, type RedisServer, type SqlDatabase } from './support/databases.js';

// A service with OpenTelemetry instrumentations of its own for the modules tracetape patches too
// (HTTP, PostgreSQL, MySQL, ioredis), as `getNodeAutoInstrumentations()` brings them. OpenTelemetry's patching
// takes out any wrapper it finds first, and the app's instrumentations load after the hook's:
// they used to take tracetape's out, and the request was recorded without its inbound exchange
// or its query, so it could not be replayed. Both must be recorded and replayed, and the app's
// collector must still get the app's spans as one trace: the caller's, or for a request with no
// caller, the one its own server span starts.
const store = tempDir('tracetape-own-instrumentations-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store'), OTEL_LOG_LEVEL: undefined };
// The SDK imported first by the app, or preloaded with --require (the zero-code setup), which
// starts it before the hook: its instrumentations then patch first, tracetape's over them.
const STARTS = [
  { sdk: 'imported first', command: ['node', path.join(FIXTURES, 'instrumented-server-app.mjs')], env: {}, callerTrace: '0af7651916cd43dd8448eb211c80319c' },
  {
    sdk: 'preloaded with --require',
    command: ['node', path.join(FIXTURES, 'instrumented-server-app.cjs')],
    callerTrace: '4bf92f3577b34da6a3ce929d0e0e4736',
    // As a zero-code setup is configured: traces only.
    env: { NODE_OPTIONS: `--require=${path.join(FIXTURES, 'instrumented-server-telemetry.mjs')}`, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
  },
  {
    // A preload that set only the propagation: the hook takes it over, but the app's
    // instrumentations still come after tracetape's, as with no preload.
    sdk: 'imported first, under a preload that set only the propagation',
    command: ['node', path.join(FIXTURES, 'instrumented-server-app.mjs')],
    callerTrace: '5a1c0e5b6d7f4e3a9b8c7d6e5f4a3b2c',
    env: { NODE_OPTIONS: `--require=${path.join(FIXTURES, 'propagation-only-preload.cjs')}` },
  },
];
const CALLER_SPAN = 'b7ad6b7169203331';
let postgres: PostgresServer;
let database: SqlDatabase;
let mariadb: MariaDbServer;
let stockDatabase: SqlDatabase;
let redis: RedisServer;
let viewsDatabase: RedisDatabase;
let upstream: CountingServer;
let collector: CountingServer;
let exports: string[] = [];

interface Recorded {
  traceId: string;
  body: unknown;
  cli: CliResult;
  exports: string[];
  upstreamTraceparents: unknown[];
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string }[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
}

beforeAll(async () => {
  postgres = await startPostgres();
  database = await postgres.createDatabase('orders');
  mariadb = await startMariaDb();
  stockDatabase = await mariadb.createDatabase('stock');
  redis = await startRedis();
  viewsDatabase = await redis.createDatabase('views');
  upstream = await startCountingServer(() => ({ body: JSON.stringify({ price: Math.round(Math.random() * 1000) }) }));
  collector = await startCountingServer((request) => {
    exports.push(request.body);
    return { body: '{}' };
  });
}, 120_000);

/** Records the service answering one request; the collector's exports are those of this run. */
async function recordOneRequest(start: (typeof STARTS)[number], headers: Record<string, string>): Promise<Recorded> {
  exports = [];
  upstream.reset();
  const { port, ended } = await startRecordingServer(start.command, appEnv(start));
  const response = await fetch(`http://127.0.0.1:${port}/orders/42`, { method: 'POST', headers });
  const body: unknown = await response.json();
  const cli = await ended;
  expect(cli.code, cli.stderr).toBe(0);
  const upstreamTraceparents = upstream.seenHeaders.map((headers) => headers.traceparent);
  return { traceId: recordedTraceId(cli.stderr), body, cli, exports: [...exports], upstreamTraceparents };
}

function appEnv(start: (typeof STARTS)[number]): Record<string, string | undefined> {
  return { ...env, ...start.env, DATABASE_URL: database.url, MYSQL_URL: stockDatabase.url, REDIS_URL: viewsDatabase.url, UPSTREAM_URL: upstream.url, COLLECTOR_URL: collector.url };
}

afterAll(async () => {
  await Promise.all([upstream?.close(), collector?.close(), postgres?.stop(), mariadb?.stop(), redis?.stop()]);
  store.remove();
});

describe.each(
  STARTS.flatMap((start) => [
    { start, sdk: start.sdk, caller: 'a caller', headers: { traceparent: `00-${start.callerTrace}-${CALLER_SPAN}-01` } },
    { start, sdk: start.sdk, caller: 'no caller', headers: {} },
  ]),
)('a service with instrumentations of its own for the modules tracetape patches (its SDK $sdk), a request from $caller', ({ start, headers }) => {
  let recorded: Recorded;
  const fromCaller = 'traceparent' in headers;

  beforeAll(async () => {
    recorded = await recordOneRequest(start, headers);
  }, 60_000);

  it('is recorded whole: the inbound exchange, the queries and the call', async () => {
    if (fromCaller) expect(recorded.traceId).toBe(start.callerTrace);
    const tape = JSON.parse((await tracetape(['tape', recorded.traceId, '--json'], env)).stdout) as {
      inbound?: { request: { target: string }; response: { status: number } };
      entries: { kind: string }[];
      nondeterminism?: { uuid?: string[] };
    };
    expect(tape.inbound?.request.target).toBe('/orders/42');
    expect(tape.inbound?.response.status).toBe(200);
    expect(tape.entries.map((entry) => entry.kind).sort()).toEqual(['http', 'mysql', 'postgres', 'redis']);
    // The answer's UUID and time, read inside both server spans, are on the tape's root with the request.
    expect(tape.nondeterminism?.uuid).toHaveLength(1);
  });

  it('replays the request with the databases and the upstream untouched', async () => {
    upstream.reset();
    const connectionsBefore = await postgres.connectionCount();
    const mysqlConnectionsBefore = await mariadb.connectionCount();
    const redisConnectionsBefore = await redis.connectionCount();
    const replayed = await tracetape(['replay', '--strict', recorded.traceId, '--', ...start.command], appEnv(start));
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(/inbound POST http:\/\/127\.0\.0\.1:\d+\/orders\/42: response matched the recording \(200\)/);
    expect(upstream.count()).toBe(0);
    expect(await postgres.connectionCount()).toBe(connectionsBefore);
    expect(await mariadb.connectionCount()).toBe(mysqlConnectionsBefore);
    // No second INCR of the view counter: the replay never reached Redis.
    expect(await redis.connectionCount()).toBe(redisConnectionsBefore);
  }, 60_000);

  it("gives the app's collector its own spans, in one trace (the caller's), without tracetape's", () => {
    const spans = recorded.exports.flatMap((body) =>
      (JSON.parse(body) as OtlpExport).resourceSpans.flatMap((resourceSpans) =>
        resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans.map((span) => ({ ...span, scope: scopeSpans.scope.name }))),
      ),
    );
    const servers = spans.filter((span) => span.kind === 2);
    // One server span for the request: the app's, under the caller's span if there was one.
    expect(servers).toHaveLength(1);
    expect(servers[0]!.parentSpanId ?? '').toBe(fromCaller ? CALLER_SPAN : '');
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([recorded.traceId]));
    // Its queries and its call, under it: each scope once (tracetape's own spans for them are not shown).
    const byScope = (scope: string) => spans.filter((span) => span.scope === scope);
    const [call] = byScope('@opentelemetry/instrumentation-undici');
    expect(byScope('@opentelemetry/instrumentation-undici')).toHaveLength(1);
    // The upstream got one traceparent, naming the app's span for the call (tracetape's injected too).
    expect(recorded.upstreamTraceparents).toEqual([`00-${recorded.traceId}-${call!.spanId}-01`]);
    expect(byScope('@opentelemetry/instrumentation-pg').length).toBeGreaterThan(0);
    expect(byScope('@opentelemetry/instrumentation-mysql2').map((span) => span.name)).toEqual(['SELECT']);
    expect(byScope('@opentelemetry/instrumentation-ioredis').map((span) => span.name)).toContain('incr');
    const ids = new Set(spans.map((span) => span.spanId));
    for (const span of spans.filter((span) => span !== servers[0])) expect(ids.has(span.parentSpanId!), span.name).toBe(true);
    expect(spans.flatMap((span) => span.attributes.map((attribute) => attribute.key)).filter((key) => key.startsWith('tracetape.'))).toEqual([]);
  });
});
