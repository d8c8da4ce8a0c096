import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ExportTraceServiceRequest } from '@tracetape/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouseHttpHarness } from './support/clickhouse-http-server.js';
import { startCollectorProcess } from './support/collector-process.js';
import { FIXTURES, queryRows, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// Apps under the register hook export OTLP to a running `tracetape collector` (a child process,
// as users run it), which writes the store; replay then reads that store.
const tmp = tempDir('tracetape-otlp-');
let upstream: CountingServer;

beforeAll(async () => {
  // Answers larger than the payload threshold: they travel as span attributes and must arrive whole.
  upstream = await startCountingServer(({ method, url, body }) => ({
    body: JSON.stringify({ method, url, got: body, nonce: Math.random(), padding: 'p'.repeat(20_000) }),
  }));
});

afterAll(async () => {
  await upstream.close();
  tmp.remove();
});

async function spanCounts(env: Record<string, string>): Promise<Map<string, number>> {
  const rows = await queryRows<{ TraceId: string; spans: number | string }>('SELECT TraceId, count() AS spans FROM otel_traces GROUP BY TraceId', env);
  return new Map(rows.map((row) => [row.TraceId, Number(row.spans)]));
}

async function expectReplays(traceId: string, command: string[], recordedStdout: string, env: Record<string, string>, steps: number) {
  upstream.reset();
  const replayed = await tracetape(['replay', traceId, '--', ...command], { ...env, UPSTREAM_URL: upstream.url });
  expect(replayed.code, replayed.stderr).toBe(0);
  expect(replayed.stdout).toBe(recordedStdout);
  expect(replayed.stderr).toContain(`${steps} served, 0 unconsumed, 0 blocked`);
  expect(upstream.count()).toBe(0);
}

describe('the register hook shipping its recording log over OTLP to tracetape collector', () => {
  it('records into the collector and the runs replay from their trace IDs, process.exit() included', async () => {
    const store = { TRACETAPE_DIR: path.join(tmp.dir, 'protobuf') };
    const collector = await startCollectorProcess(store);
    // The app gets the same TRACETAPE_DIR: were the hook to open the store itself instead of
    // exporting, it would collide with the collector holding it.
    const appEnv = { ...store, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, UPSTREAM_URL: upstream.url };
    const esm = ['node', path.join(FIXTURES, 'esm-app.mjs')];
    const exiting = ['node', path.join(FIXTURES, 'exit-app.mjs')];
    const recordedEsm = await tracetape(['record', '--', ...esm], appEnv);
    const recordedExit = await tracetape(['record', '--', ...exiting], appEnv);
    for (const recorded of [recordedEsm, recordedExit]) {
      expect(recorded.code, recorded.stderr).toBe(0);
      expect(recorded.stderr).not.toMatch(/dropped|could not be stored|could not be written|lost \d+ span/);
    }
    const stopped = await collector.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    // The collector may also move some of the same log into the store itself (it shares TRACETAPE_DIR
    // with the apps): whoever takes a record takes it once, so the counts below are exact either way.
    expect(stopped.stderr).toMatch(/stored \d+ span\(s\) from \d+ request\(s\); 0 span\(s\) rejected, 0 request\(s\) refused/);

    const esmTrace = recordedTraceId(recordedEsm.stderr);
    const exitTrace = recordedTraceId(recordedExit.stderr);
    // A root span per run plus one per call: the exporter's own requests made no spans.
    expect(await spanCounts(store)).toEqual(new Map([[esmTrace, 3], [exitTrace, 2]]));
    // Payloads over the threshold were moved to the payload table, as the in-process exporter does.
    const payloads = await tracetape(['query', 'SELECT count() FROM tracetape_payloads', '--format', 'csv'], store);
    expect(Number(payloads.stdout.trim().split('\n').at(-1))).toBeGreaterThanOrEqual(3);

    await expectReplays(esmTrace, esm, recordedEsm.stdout, store, 2);
    await expectReplays(exitTrace, exiting, recordedExit.stdout, store, 1);
  });

  it('sends gzip when OTEL_EXPORTER_OTLP_COMPRESSION=gzip, and a token when the collector needs one', async () => {
    const store = { TRACETAPE_DIR: path.join(tmp.dir, 'gzip') };
    const collector = await startCollectorProcess({ ...store, TRACETAPE_COLLECTOR_TOKEN: 's3cret' });
    const command = ['node', path.join(FIXTURES, 'esm-app.mjs')];
    const appEnv = {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      UPSTREAM_URL: upstream.url,
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      // A log of its own: another test's leftovers must not be shipped to this collector.
      TRACETAPE_LOG_DIR: path.join(tmp.dir, 'gzip-log'),
    };
    const refused = await tracetape(['record', '--', ...command], appEnv);
    expect(refused.code).toBe(0);
    expect(refused.stderr).toMatch(/dropped \d+ spans? bound for http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
    const recorded = await tracetape(['record', '--', ...command], { ...appEnv, OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20s3cret' });
    expect(recorded.code, recorded.stderr).toBe(0);
    const stopped = await collector.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toMatch(/401: This collector needs a bearer token/);
    expect([...(await spanCounts(store)).keys()]).toEqual([recordedTraceId(recorded.stderr)]);
    await expectReplays(recordedTraceId(recorded.stderr), command, recorded.stdout, store, 2);
  });

  it('writes to a ClickHouse server when TRACETAPE_CLICKHOUSE_URL is set', async () => {
    const clickhouse = await startClickHouseHttpHarness(path.join(tmp.dir, 'server'));
    try {
      const store = { TRACETAPE_CLICKHOUSE_URL: clickhouse.url };
      const collector = await startCollectorProcess(store);
      const command = ['node', path.join(FIXTURES, 'esm-app.mjs')];
      const recorded = await tracetape(['record', '--', ...command], {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        UPSTREAM_URL: upstream.url,
        TRACETAPE_LOG_DIR: path.join(tmp.dir, 'server-log'),
      });
      expect(recorded.code, recorded.stderr).toBe(0);
      expect((await collector.stop()).code).toBe(0);
      await expectReplays(recordedTraceId(recorded.stderr), command, recorded.stdout, store, 2);
    } finally {
      await clickhouse.close();
    }
  });

  it('costs the app nothing when no collector answers: it keeps the spans in the recording log, says so and exits as usual', async () => {
    const command = ['node', path.join(FIXTURES, 'esm-app.mjs')];
    const recorded = await tracetape(['record', '--', ...command], {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces',
      TRACETAPE_FLUSH_TIMEOUT_MS: '1000',
      TRACETAPE_LOG_DIR: path.join(tmp.dir, 'unreachable-log'),
      UPSTREAM_URL: upstream.url,
    });
    expect(recorded.code).toBe(0);
    expect(recorded.stdout).toMatch(/^fetch: .*\nhttp: /);
    // test/outage-otlp.test.ts ships such a log once the collector is back.
    expect(recorded.stderr).toMatch(
      /tracetape: 3 span\(s\) still in the recording log at .*unreachable-log; they are sent when the collector at http:\/\/127\.0\.0\.1:9\/v1\/traces is back \(the next run, or `tracetape ingest`\)/,
    );
    expect(recorded.stderr).not.toMatch(/dropped \d+ span/);
    expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32}/);
  });
});

/** An OTLP receiver that only keeps what it gets, to capture what the real shipper sends (OTLP/JSON, as the log holds it). */
async function startSink(): Promise<{ url: string; bodies: Buffer[]; close(): Promise<void> }> {
  const bodies: Buffer[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      // The shipper's probe, an empty export, is no delivery.
      if (JSON.parse(body.toString('utf8') || '{}').resourceSpans?.length) bodies.push(body);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** The protobuf form of an OTLP/JSON export: hex IDs become bytes. */
function toProtobuf(json: Buffer): Uint8Array {
  const object = JSON.parse(json.toString('utf8'), (key, value: unknown) =>
    ID_FIELDS.has(key) && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value,
  ) as Record<string, unknown>;
  return ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(object)).finish();
}

describe('OTLP/JSON and gzip sent to tracetape collector', () => {
  it('stores what the real shipper sent, re-sent as JSON, gzip JSON and gzip protobuf, and each run replays', async () => {
    const sink = await startSink();
    const command = ['node', path.join(FIXTURES, 'esm-app.mjs')];
    const runs: { traceId: string; stdout: string; body: Buffer }[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        sink.bodies.length = 0;
        const recorded = await tracetape(['record', '--', ...command], {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          UPSTREAM_URL: upstream.url,
          TRACETAPE_LOG_DIR: path.join(tmp.dir, 'sink-log'),
        });
        expect(recorded.code, recorded.stderr).toBe(0);
        expect(sink.bodies).toHaveLength(1);
        runs.push({ traceId: recordedTraceId(recorded.stderr), stdout: recorded.stdout, body: sink.bodies[0]! });
      }
    } finally {
      await sink.close();
    }

    const store = { TRACETAPE_DIR: path.join(tmp.dir, 'json') };
    const collector = await startCollectorProcess(store);
    const sends: [string, Record<string, string>, Buffer | string][] = [
      ['json', { 'content-type': 'application/json' }, runs[0]!.body],
      ['json+gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(runs[1]!.body)],
      ['protobuf+gzip', { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, gzipSync(toProtobuf(runs[2]!.body))],
    ];
    for (const [name, headers, body] of sends) {
      const response = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers, body });
      expect(response.status, name).toBe(200);
    }
    expect((await collector.stop()).code).toBe(0);

    expect(await spanCounts(store)).toEqual(new Map(runs.map((run) => [run.traceId, 3])));
    for (const run of runs) await expectReplays(run.traceId, command, run.stdout, store, 2);
  });
});

describe('several app processes recording into one embedded store through the collector', () => {
  it('loses no span when two apps record at the same time', async () => {
    // More calls than the hook's export batch (512 spans): each process sends several requests.
    const calls = 600;
    const app = path.join(tmp.dir, 'busy-app.mjs');
    // Calls in waves of twenty in flight, so spans end interleaved with the other process's.
    fs.writeFileSync(
      app,
      `for (let wave = 0; wave < ${calls / 20}; wave++) {
         await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(process.env.UPSTREAM_URL + '/busy/' + (wave * 20 + i)).then((r) => r.text())));
       }
       console.log('done');\n`,
    );
    const store = { TRACETAPE_DIR: path.join(tmp.dir, 'shared') };
    const collector = await startCollectorProcess(store);
    const appEnv = { ...store, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, UPSTREAM_URL: upstream.url };
    const [first, second] = await Promise.all([tracetape(['record', '--', 'node', app], appEnv), tracetape(['record', '--', 'node', app], appEnv)]);
    expect(first!.code, first!.stderr).toBe(0);
    expect(second!.code, second!.stderr).toBe(0);
    const stopped = await collector.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    const requests = Number(/from (\d+) request/.exec(stopped.stderr)?.[1]);
    expect(requests).toBeGreaterThanOrEqual(4);

    const counts = await spanCounts(store);
    expect(counts).toEqual(
      new Map([
        [recordedTraceId(first!.stderr), calls + 1],
        [recordedTraceId(second!.stderr), calls + 1],
      ]),
    );
  });
});
