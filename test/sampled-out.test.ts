import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, startRecordingServer, tempDir, tracetape, type RecordingServer } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { startMariaDb, startPostgres, startRedis, type MariaDbServer, type PostgresServer, type RedisServer } from './support/databases.js';

// A service behind a gateway that samples (OTEL_TRACES_SAMPLER=parentbased_*, the default) gets
// most requests with the sampled flag off: every span under them is a non-recording one that no
// span processor ever sees. The recording hook must keep nothing for such calls, through any
// door, or a long-running service grows with every request it serves; and it must go on
// recording the requests that are sampled.
const APP = path.join(FIXTURES, 'sampled-service-app.mjs');
const store = tempDir('tracetape-sampled-');
const UNSAMPLED = 12;
const SAMPLED = 3;

let postgres: PostgresServer;
let mariadb: MariaDbServer;
let redis: RedisServer;
let upstream: CountingServer;
let h2: http2.Http2Server;
let ws: WebSocketServer;
let grpcServer: ChildProcess;
let service: RecordingServer;
let env: Record<string, string>;

function listening<T>(start: (ready: (value: T) => void, fail: (error: Error) => void) => void): Promise<T> {
  return new Promise(start);
}

beforeAll(async () => {
  [postgres, mariadb, redis] = await Promise.all([startPostgres(), startMariaDb(), startRedis()]);
  const [pgDb, mysqlDb] = await Promise.all([postgres.createDatabase('service'), mariadb.createDatabase('service')]);
  upstream = await startCountingServer(({ url }) => ({ body: `looked up ${url}` }));
  h2 = http2.createServer((req, res) => res.end(`h2 ${req.url}`));
  await listening<void>((ready) => h2.listen(0, '127.0.0.1', ready));
  ws = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await listening<void>((ready) => ws.once('listening', ready));
  ws.on('connection', (socket) => socket.on('message', (data) => socket.send(`heard ${data.toString()}`)));
  grpcServer = spawn(process.execPath, [path.join(FIXTURES, 'grpc/server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const grpcPort = await listening<string>((ready, fail) => {
    let out = '';
    grpcServer.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /port (\d+)/.exec(out);
      if (found) ready(found[1]!);
    });
    grpcServer.once('exit', (code) => fail(new Error(`the gRPC server exited (${code})`)));
  });
  env = {
    TRACETAPE_DIR: path.join(store.dir, 'store'),
    DATABASE_URL: pgDb.url,
    MYSQL_URL: mysqlDb.url,
    REDIS_URL: redis.url,
    UPSTREAM_URL: upstream.url,
    H2_URL: `http://127.0.0.1:${(h2.address() as { port: number }).port}`,
    WS_URL: `ws://127.0.0.1:${(ws.address() as { port: number }).port}`,
    GRPC_TARGET: `127.0.0.1:${grpcPort}`,
    NOTES_FILE: path.join(store.dir, 'notes.txt'),
    STARTS_FILE: path.join(store.dir, 'starts.txt'),
  };
  service = await startRecordingServer(APP, env);
}, 120_000);

afterAll(async () => {
  grpcServer?.kill();
  ws?.close();
  h2?.close();
  await upstream?.close();
  await Promise.all([postgres?.stop(), mariadb?.stop(), redis?.stop()]);
  store.remove();
});

const traceIds = (count: number): string[] => Array.from({ length: count }, () => randomBytes(16).toString('hex'));

/** A request as a gateway sends it: in its own trace, sampled or not. */
async function call<T>(method: string, pathname: string, traceId?: string, sampled = true): Promise<T> {
  const headers: Record<string, string> = traceId ? { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-0${sampled ? 1 : 0}` } : {};
  const response = await fetch(`http://127.0.0.1:${service.port}${pathname}`, { method, headers });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as T;
}

/** What /work answers when every door's call went through: the same with the hook or without it. */
function expectedWork(n: number): unknown[] {
  return [n, '42P01', n, 'OK', String(n), `looked up /lookup?n=${n}`, `h2 /h2?n=${n}`, `q${n}-1`, `heard hello ${n}`, 1, 4, `child ${n}`];
}

const unsampled = traceIds(UNSAMPLED);
const sampled = traceIds(SAMPLED);

describe('a recorded service behind a sampling gateway', () => {
  it('holds no capture of the calls made under sampled-out requests, through any door', async () => {
    for (const [n, traceId] of unsampled.entries()) expect(await call('POST', `/work?n=${n}`, traceId, false)).toEqual(expectedWork(n));
    expect(await call('GET', '/held')).toEqual({ requests: 0, spans: 0 });
  });

  it('records the sampled requests through every door, and holds nothing once their spans are saved', async () => {
    for (const [i, traceId] of sampled.entries()) expect(await call('POST', `/work?n=${UNSAMPLED + i}`, traceId)).toEqual(expectedWork(UNSAMPLED + i));
    expect(await call('GET', '/held')).toEqual({ requests: 0, spans: 0 });

    await call('POST', '/stop');
    const ended = await service.ended;
    expect(ended.code, ended.stderr).toBe(0);
    const rows = await queryRows<{ trace: string; kinds: string[] }>(
      `SELECT TraceId AS trace, groupUniqArray(SpanAttributes['tracetape.kind']) AS kinds FROM otel_traces
       WHERE TraceId IN (${[...sampled, ...unsampled].map((id) => `'${id}'`).join(',')}) AND SpanAttributes['tracetape.kind'] != '' GROUP BY TraceId`,
      env,
    );
    // Each sampled request has its calls through every door; no sampled-out one left a span.
    expect(rows.map((row) => row.trace).sort()).toEqual([...sampled].sort());
    for (const row of rows) expect(row.kinds.sort(), row.trace).toEqual(['dns', 'grpc', 'http', 'mcp', 'mysql', 'postgres', 'process', 'redis', 'websocket']);
  });
});

describe('tracetape record under a sampler', () => {
  const ESM_APP = path.join(FIXTURES, 'esm-app.mjs');
  const record = (extra: Record<string, string>) => tracetape(['record', '--', process.execPath, ESM_APP], { ...env, ...extra });
  const listed = async (): Promise<string> => (await tracetape(['traces', '--limit', '100'], env)).stdout;

  it('says a run the sampler left out was NOT RECORDED, and why, and exits 1; the app runs as it would', async () => {
    const result = await record({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(result.stdout).toContain('fetch: ');
    expect(result.stdout).toContain('http: ');
    expect(result.stderr).not.toContain('recorded trace');
    const said = /trace ([0-9a-f]{32}) \(esm-app\.mjs, 0 calls\) was NOT RECORDED: the sampler OTEL_TRACES_SAMPLER=traceidratio with OTEL_TRACES_SAMPLER_ARG=0 left the run out: run it with OTEL_TRACES_SAMPLER=always_on to record it whatever was sampled\./.exec(result.stderr);
    expect(said, result.stderr).not.toBeNull();
    expect(result.stderr).toContain('a run was not recorded, so record exits 1; the command itself exited 0');
    expect(result.code).toBe(1);
    expect(await listed()).not.toContain(said![1]);
  });

  it('leaves out a run that joins an unsampled TRACEPARENT, and records it with OTEL_TRACES_SAMPLER=always_on', async () => {
    const [traceId] = traceIds(1);
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-00`;
    const followed = await record({ TRACEPARENT: traceparent });
    expect(followed.code, followed.stderr).toBe(1);
    expect(followed.stderr).toContain(`trace ${traceId} (esm-app.mjs, 0 calls) was NOT RECORDED: the run joined trace ${traceId} from its parent (TRACEPARENT), which was not sampled: run it with OTEL_TRACES_SAMPLER=always_on`);

    const always = await record({ TRACEPARENT: traceparent, OTEL_TRACES_SAMPLER: 'always_on' });
    expect(always.code, always.stderr).toBe(0);
    expect(always.stderr).toContain(`recorded trace ${traceId} (esm-app.mjs, 2 calls)`);
    expect(await listed()).toContain(traceId);
  });

  it('says the run was not recorded with the SDK turned off, and what to do; the app runs as it would', async () => {
    const result = await record({ OTEL_SDK_DISABLED: 'true' });
    expect(result.stdout).toContain('fetch: ');
    expect(result.stderr).toContain('the run (esm-app.mjs, 0 calls) was NOT RECORDED: OTEL_SDK_DISABLED=true turns the OpenTelemetry SDK off, and the recording with it: unset it to record.');
    expect(result.stderr).not.toContain('recorded trace');
    expect(result.code).toBe(1);
  });
});
