import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// An app that starts an OpenTelemetry SDK of its own, exporting to its team's collector, under
// `tracetape record`: the hook's SDK came first and stays the global one, so the app's spans are
// recorded by tracetape and its own exporter gets none. The app is told so, once, with what to do;
// an app without an SDK of its own is told nothing.
const store = tempDir('tracetape-own-sdk-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store'), OTEL_LOG_LEVEL: undefined };
const APP = path.join(FIXTURES, 'own-sdk-app.mjs');
let upstream: CountingServer;
let collector: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(() => ({ body: JSON.stringify({ nonce: Math.random() }) }));
  collector = await startCountingServer(() => ({ body: '{}' }));
});

afterAll(async () => {
  await Promise.all([upstream.close(), collector.close()]);
  store.remove();
});

describe('an app with an OpenTelemetry SDK of its own, recorded', () => {
  it("records the app's own spans, and tells it once that its exporter receives none, with what to do", async () => {
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, COLLECTOR_URL: collector.url });
    expect(recorded.code, recorded.stderr).toBe(0);
    const notices = recorded.stderr.split('\n').filter((line) => line.includes('started an OpenTelemetry SDK of its own'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=<collector>');

    const traceId = recordedTraceId(recorded.stderr);
    const spans = await queryRows<{ SpanName: string }>(`SELECT SpanName FROM otel_traces WHERE TraceId = '${traceId}' ORDER BY Timestamp`, env);
    expect(spans.map((span) => span.SpanName)).toContain('handle-order');
  }, 60_000);

  it("says nothing once tracetape's spans go to a collector, where the notice points", async () => {
    collector.reset();
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, COLLECTOR_URL: collector.url, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).not.toContain('OpenTelemetry SDK of its own');
    // The spans reached the collector, through tracetape's exporter.
    expect(collector.count()).toBeGreaterThan(0);
  }, 60_000);

  it('says nothing to an app with no SDK of its own', async () => {
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, OWN_SDK: '0' });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).not.toContain('OpenTelemetry SDK of its own');
  }, 60_000);
});
