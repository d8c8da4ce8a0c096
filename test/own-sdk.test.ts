import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, REPO_ROOT, runProcess, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// An app that starts an OpenTelemetry SDK of its own, exporting to its team's collector, under
// `tracetape record`. The hook's SDK came first and stays the global one (it records); the app's
// SDK still gets the app's spans, as it would without tracetape: under the app's service name,
// without tracetape's own spans and payload attributes, and nothing of it in a replay.
const store = tempDir('tracetape-own-sdk-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store'), OTEL_LOG_LEVEL: undefined };
const APP = path.join(FIXTURES, 'own-sdk-app.mjs');
let upstream: CountingServer;
let collector: CountingServer;
let exports: string[] = [];

interface OtlpValue {
  stringValue?: string;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: OtlpValue }[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
}

/** Every span the collector received, with its service name and scope. */
function collectedSpans(): (OtlpSpan & { service: string | undefined; scope: string })[] {
  return exports.flatMap((body) =>
    (JSON.parse(body) as OtlpExport).resourceSpans.flatMap((resourceSpans) => {
      const service = resourceSpans.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue;
      return resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans.map((span) => ({ ...span, service, scope: scopeSpans.scope.name })));
    }),
  );
}

beforeAll(async () => {
  upstream = await startCountingServer(() => ({ body: JSON.stringify({ nonce: Math.random() }) }));
  collector = await startCountingServer((request) => {
    exports.push(request.body);
    return { body: '{}' };
  });
});

afterAll(async () => {
  await Promise.all([upstream.close(), collector.close()]);
  store.remove();
});

describe('an app with an OpenTelemetry SDK of its own, recorded', () => {
  let traceId: string;
  let output: string;

  it("sends the app's own spans to the app's collector while tracetape records them", async () => {
    exports = [];
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, COLLECTOR_URL: collector.url });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).not.toContain('of its own that tracetape cannot feed');
    // The app's exporter's own POST is telemetry, not a call of the app: one call recorded, the lookup.
    expect(recorded.stderr).toContain('1 call)');
    traceId = recordedTraceId(recorded.stderr);
    output = recorded.stdout;

    const spans = collectedSpans();
    // What the app's SDK makes without tracetape: its span and its undici instrumentation's, not
    // tracetape's run span nor tracetape's own client span for the same fetch.
    expect(spans.map((span) => span.name).sort()).toEqual(['POST', 'handle-order']);
    const handle = spans.find((span) => span.name === 'handle-order')!;
    const call = spans.find((span) => span.name === 'POST')!;
    expect(spans.every((span) => span.service === 'orders')).toBe(true);
    expect(handle.parentSpanId ?? '').toBe('');
    expect(call.parentSpanId).toBe(handle.spanId);
    expect(call.scope).toBe('@opentelemetry/instrumentation-undici');
    expect(spans.flatMap((span) => span.attributes.map((attribute) => attribute.key)).filter((key) => key.startsWith('tracetape.'))).toEqual([]);

    // tracetape recorded the same spans, and the payload of the call, in its store.
    const stored = await queryRows<{ SpanId: string; ServiceName: string; payload: number }>(
      `SELECT SpanId, ServiceName, mapContains(SpanAttributes, 'tracetape.response') AS payload FROM otel_traces WHERE TraceId = '${traceId}'`,
      env,
    );
    expect(stored.map((span) => span.SpanId)).toEqual(expect.arrayContaining([handle.spanId, call.spanId]));
    expect(stored.filter((span) => Number(span.payload) === 1)).toHaveLength(1);
  }, 60_000);

  it("replays with nothing sent to the app's collector or upstream", async () => {
    exports = [];
    collector.reset();
    upstream.reset();
    const replayed = await tracetape(['replay', '--strict', traceId, '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, COLLECTOR_URL: collector.url });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(output);
    expect(replayed.stderr).toContain('1 served, 0 unconsumed, 0 blocked');
    expect(collector.count()).toBe(0);
    expect(upstream.count()).toBe(0);
  }, 60_000);

  it('tells an app whose tracer provider tracetape cannot feed, once, with what to do', async () => {
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, OWN_SDK: 'foreign' });
    expect(recorded.code, recorded.stderr).toBe(0);
    const notices = recorded.stderr.split('\n').filter((line) => line.includes('of its own that tracetape cannot feed'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=<collector>');
    const spans = await queryRows<{ SpanName: string }>(`SELECT SpanName FROM otel_traces WHERE TraceId = '${recordedTraceId(recorded.stderr)}'`, env);
    expect(spans.map((span) => span.SpanName)).toContain('handle-order');
  }, 60_000);

  it('says nothing to an app with no SDK of its own', async () => {
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, OWN_SDK: '0' });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).not.toContain('of its own that tracetape cannot feed');
  }, 60_000);
});

// The zero-code setup: the SDK preloaded by NODE_OPTIONS, which Node runs before the command
// line's flags. `tracetape record` put its hook after it, the SDK registered its globals first,
// and the run was called recorded with no call in it.
describe('an app whose SDK NODE_OPTIONS preloads', () => {
  const PRELOAD = `--import=${pathToFileURL(path.join(FIXTURES, 'zero-code-telemetry.mjs')).href}`;
  // As a zero-code setup is configured: traces only (an SDK started before the hook would
  // otherwise retry its metrics export to localhost:4318 for seconds at exit).
  const zeroCodeEnv = { ...env, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };

  let zeroCodeTrace: string;

  it('is recorded by `tracetape record`, which loads the hook first, and its SDK still gets its spans', async () => {
    exports = [];
    const recorded = await tracetape(['record', '--', 'node', APP], { ...zeroCodeEnv, UPSTREAM_URL: upstream.url, COLLECTOR_URL: collector.url, OWN_SDK: '0', NODE_OPTIONS: PRELOAD });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).toContain('1 call)');
    expect(recorded.stderr).not.toContain('nothing of this process');
    expect(collectedSpans().map((span) => `${span.service} ${span.name}`).sort()).toEqual(['orders POST', 'orders handle-order']);
    zeroCodeTrace = recordedTraceId(recorded.stderr);
  }, 60_000);

  it('is said NOT RECORDED by `tracetape record` when NODE_OPTIONS preloads it with --require, which runs before any --import', async () => {
    exports = [];
    const recorded = await tracetape(['record', '--', 'node', APP], {
      ...zeroCodeEnv,
      UPSTREAM_URL: upstream.url,
      COLLECTOR_URL: collector.url,
      OWN_SDK: '0',
      NODE_OPTIONS: `--require=${path.join(FIXTURES, 'zero-code-telemetry.mjs')}`,
    });
    expect(recorded.code).toBe(1);
    expect(recorded.stderr).toMatch(/was NOT RECORDED: an OpenTelemetry SDK started before tracetape's hook/);
    expect(recorded.stderr).toContain('load --require @opentelemetry/auto-instrumentations-node/register as --import');
    expect(recorded.stderr).not.toContain('recorded trace');
    // tracetape's doors are off: the app's collector gets what it would without tracetape, no payload.
    expect(collectedSpans().map((span) => `${span.service} ${span.name}`).sort()).toEqual(['orders POST', 'orders handle-order']);
    expect(collectedSpans().flatMap((span) => span.attributes.map((attribute) => attribute.key)).filter((key) => key.startsWith('tracetape.'))).toEqual([]);
  }, 60_000);

  it('is not replayed under a --require preload, with what to do, and nothing reaches the upstream', async () => {
    upstream.reset();
    collector.reset();
    const replayed = await tracetape(['replay', zeroCodeTrace, '--', 'node', APP], {
      ...zeroCodeEnv,
      UPSTREAM_URL: upstream.url,
      COLLECTOR_URL: collector.url,
      OWN_SDK: '0',
      NODE_OPTIONS: `--require=${path.join(FIXTURES, 'zero-code-telemetry.mjs')}`,
    });
    expect(replayed.code).not.toBe(0);
    expect(replayed.stderr).toContain("tracetape: this process cannot be replayed: an OpenTelemetry SDK started before tracetape's hook");
    expect(replayed.stderr).toContain('nothing was replayed: no process of the command ran the app with the hook');
    // The app never ran: no call and no export left the machine.
    expect(replayed.stdout).toBe('');
    expect(upstream.count()).toBe(0);
    expect(collector.count()).toBe(0);
  }, 60_000);

  it('is said NOT recorded, with what to do, when the hook is loaded after it', async () => {
    const own = tempDir('tracetape-sdk-first-');
    try {
      const direct = await runProcess(process.execPath, [PRELOAD, `--import=${pathToFileURL(path.join(REPO_ROOT, 'packages/register/dist/index.js')).href}`, APP], {
        ...zeroCodeEnv,
        TRACETAPE_DIR: own.dir,
        UPSTREAM_URL: upstream.url,
        COLLECTOR_URL: collector.url,
        OWN_SDK: '0',
      });
      expect(direct.code, direct.stderr).toBe(0);
      const said = direct.stderr.split('\n').filter((line) => line.includes('nothing of this process is recorded'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('start the SDK after the hook, with --import placed after --import @tracetape/register');
      // No run is announced for it: nothing to call recorded.
      const traces = await tracetape(['traces', '--json'], { ...env, TRACETAPE_DIR: own.dir });
      expect(traces.stdout.trim()).toBe('');
    } finally {
      own.remove();
    }
  }, 60_000);
});
