import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIXTURES, REPO_ROOT, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { until } from './support/outage-app.js';

// Issue 6 item 1, counters: a metrics pipeline the user chose (OTEL_METRICS_EXPORTER) is kept by
// the hook and carries tracetape's counters; its own requests are not recorded as the app's
// calls, and a replay sends no metrics at all.
const REGISTER = path.join(REPO_ROOT, 'packages/register/dist/index.js');
const APP = path.join(FIXTURES, 'metrics-app.mjs');
const work = tempDir('tracetape-metrics-');
let upstream: CountingServer;
let sink: MetricsSink;

/** An OTLP/HTTP JSON metrics receiver that keeps the latest value of every tracetape metric. */
interface MetricsSink {
  url: string;
  requests: number;
  latest: Map<string, number>;
  close(): Promise<void>;
}

interface OtlpPoint {
  asInt?: string | number;
  asDouble?: number;
}
interface OtlpMetricsRequest {
  resourceMetrics?: Array<{
    scopeMetrics?: Array<{
      scope?: { name?: string };
      metrics?: Array<{ name: string; sum?: { dataPoints?: OtlpPoint[] }; gauge?: { dataPoints?: OtlpPoint[] } }>;
    }>;
  }>;
}

async function startMetricsSink(): Promise<MetricsSink> {
  const sink: MetricsSink = { url: '', requests: 0, latest: new Map(), close: async () => undefined };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      sink.requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpMetricsRequest;
      for (const resource of body.resourceMetrics ?? []) {
        for (const scope of resource.scopeMetrics ?? []) {
          if (scope.scope?.name !== 'tracetape') continue;
          for (const metric of scope.metrics ?? []) {
            const point = (metric.sum ?? metric.gauge)?.dataPoints?.[0];
            if (point) sink.latest.set(metric.name, Number(point.asInt ?? point.asDouble));
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`;
  sink.close = () => new Promise((resolve) => server.close(() => resolve()));
  return sink;
}

beforeAll(async () => {
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url, nonce: Math.random() }) }));
  sink = await startMetricsSink();
});
afterAll(async () => {
  await Promise.all([upstream.close(), sink.close()]);
  work.remove();
});

it("reports tracetape's counters through the user's OTEL_METRICS_EXPORTER, records none of its traffic, and a replay sends no metrics", async () => {
  const env = {
    TRACETAPE_DIR: path.join(work.dir, 'store'),
    TRACETAPE_RUN_FILE: path.join(work.dir, 'app.runs'),
    UPSTREAM_URL: upstream.url,
    CALLS: '2',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: sink.url,
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  };
  const app = spawn(process.execPath, ['--import', REGISTER, APP], { cwd: work.dir, env: { ...process.env, ...env } });
  let stderr = '';
  app.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => app.once('close', resolve));
  // Both calls' spans stored, and the pipeline has told the sink so.
  await until('tracetape.spans.exported in the exported metrics', () => (sink.latest.get('tracetape.spans.exported') ?? 0) >= 2);
  app.stdin.end();
  expect(await exited, stderr).toBe(0);
  expect(sink.latest.get('tracetape.spans.dropped')).toBe(0);
  // The embedded store is a local directory: nothing to spool.
  expect(sink.latest.get('tracetape.spans.spooled')).toBe(0);
  expect(sink.latest.get('tracetape.spans.pending')).toBe(0);
  expect(sink.requests).toBeGreaterThan(0);

  const { traceId } = JSON.parse(fs.readFileSync(env.TRACETAPE_RUN_FILE, 'utf8').split('\n')[0]!) as { traceId: string };
  const upstreamCalls = upstream.count();
  const metricsRequests = sink.requests;
  const replayed = await tracetape(['replay', traceId, '--', 'node', APP], env);
  expect(replayed.code, replayed.stderr).toBe(0);
  // Exactly the app's two calls were recorded: no metrics export among them.
  expect(replayed.stderr).toContain('2 served, 0 unconsumed, 0 blocked');
  expect(upstream.count()).toBe(upstreamCalls);
  expect(sink.requests).toBe(metricsRequests);
}, 60_000);
