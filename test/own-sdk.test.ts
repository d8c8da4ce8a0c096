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
// line's flags (every `--require` before any `--import`), so it may start before the hook: the
// hook then takes the API's globals over from it, and it still gets the app's spans.
describe('an app whose SDK NODE_OPTIONS preloads', () => {
  const PRELOAD = `--import=${pathToFileURL(path.join(FIXTURES, 'zero-code-telemetry.mjs')).href}`;
  const REQUIRED = `--require=${path.join(FIXTURES, 'zero-code-telemetry.mjs')}`;
  // As a zero-code setup is configured: traces only (an SDK started before the hook would
  // otherwise retry its metrics export to localhost:4318 for seconds at exit).
  const zeroCodeEnv = { ...env, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
  const appEnv = () => ({ ...zeroCodeEnv, UPSTREAM_URL: upstream.url, COLLECTOR_URL: collector.url, OWN_SDK: '0' });

  let requiredTrace: string;
  let requiredOutput: string;

  it('is recorded by `tracetape record`, which loads the hook first, and its SDK still gets its spans', async () => {
    exports = [];
    const recorded = await tracetape(['record', '--', 'node', APP], { ...appEnv(), NODE_OPTIONS: PRELOAD });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).toContain('1 call)');
    expect(recorded.stderr).not.toContain('nothing of this process');
    expect(collectedSpans().map((span) => `${span.service} ${span.name}`).sort()).toEqual(['orders POST', 'orders handle-order']);
  }, 60_000);

  it('is recorded under a --require preload, which starts the SDK before the hook: its SDK gets its spans, the next service its trace', async () => {
    exports = [];
    upstream.seenHeaders.length = 0;
    const recorded = await tracetape(['record', '--', 'node', APP], { ...appEnv(), NODE_OPTIONS: REQUIRED });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).toContain('1 call)');
    expect(recorded.stderr).not.toContain('NOT RECORDED');
    requiredTrace = recordedTraceId(recorded.stderr);
    requiredOutput = recorded.stdout;

    // The app's collector gets what it gets without tracetape: its span and its undici
    // instrumentation's, under its service, no tracetape span or attribute.
    const spans = collectedSpans();
    expect(spans.map((span) => `${span.service} ${span.name}`).sort()).toEqual(['orders POST', 'orders handle-order']);
    expect(spans.flatMap((span) => span.attributes.map((attribute) => attribute.key)).filter((key) => key.startsWith('tracetape.'))).toEqual([]);
    const handle = spans.find((span) => span.name === 'handle-order')!;
    const call = spans.find((span) => span.name === 'POST')!;
    expect(call.parentSpanId).toBe(handle.spanId);
    // The upstream got one traceparent, naming the app's client span: its spans join the app's trace.
    expect(upstream.seenHeaders.map((headers) => headers.traceparent)).toEqual([`00-${call.traceId}-${call.spanId}-01`]);

    // tracetape recorded the app's spans, its SDK's instrumentation's among them, with the call's payload.
    const stored = await queryRows<{ SpanId: string; payload: number }>(
      `SELECT SpanId, mapContains(SpanAttributes, 'tracetape.response') AS payload FROM otel_traces WHERE TraceId = '${requiredTrace}'`,
      env,
    );
    expect(stored.map((span) => span.SpanId)).toEqual(expect.arrayContaining([handle.spanId, call.spanId]));
    expect(stored.filter((span) => Number(span.payload) === 1)).toHaveLength(1);
  }, 60_000);

  it('is replayed under a --require preload with nothing sent to the upstream or the collector', async () => {
    upstream.reset();
    collector.reset();
    const replayed = await tracetape(['replay', '--strict', requiredTrace, '--', 'node', APP], { ...appEnv(), NODE_OPTIONS: REQUIRED });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(requiredOutput);
    expect(replayed.stderr).toContain('1 served, 0 unconsumed, 0 blocked');
    expect(upstream.count()).toBe(0);
    expect(collector.count()).toBe(0);
  }, 60_000);

  it('is recorded when the hook is loaded after it, run directly', async () => {
    const own = tempDir('tracetape-sdk-first-');
    try {
      const direct = await runProcess(process.execPath, [PRELOAD, `--import=${pathToFileURL(path.join(REPO_ROOT, 'packages/register/dist/index.js')).href}`, APP], {
        ...appEnv(),
        TRACETAPE_DIR: own.dir,
      });
      expect(direct.code, direct.stderr).toBe(0);
      expect(direct.stderr).not.toContain('nothing of this process');
      const traces = await tracetape(['traces', '--json'], { ...env, TRACETAPE_DIR: own.dir });
      expect(traces.stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      own.remove();
    }
  }, 60_000);

  it('is said NOT RECORDED, with what to do, when the SDK that started first runs a newer OpenTelemetry API than the hook', async () => {
    exports = [];
    const recorded = await tracetape(['record', '--', 'node', APP], {
      ...appEnv(),
      NODE_OPTIONS: `--require=${path.join(FIXTURES, 'newer-api-telemetry.cjs')}`,
    });
    expect(recorded.code).toBe(1);
    expect(recorded.stderr).toMatch(/was NOT RECORDED: an OpenTelemetry SDK started before tracetape's hook and keeps the global tracer provider \(its @opentelemetry\/api \(1\.999\.0\) is newer than the hook's/);
    expect(recorded.stderr).toContain('start the SDK after the hook, with --import placed after --import @tracetape/register');
    expect(recorded.stderr).not.toContain('recorded trace');
  }, 60_000);

  // Set up by hand, as older guides have it: the provider registered, then the instrumentation
  // given it. Its instrumentation's tracer is the provider's own, made before the hook ran (or
  // before the hook could adopt the provider), whose spans never pass the hook's provider.
  describe.each([
    { form: '--require', option: `--require=${path.join(FIXTURES, 'manual-telemetry.cjs')}` },
    { form: '--import', option: `--import=${pathToFileURL(path.join(FIXTURES, 'manual-telemetry.cjs')).href}` },
  ])('by hand, preloaded with $form', ({ option }) => {
    let manualTrace: string;
    let manualOutput: string;

    it("is recorded, the call made by its provider's own tracer included, and its collector gets its span without tracetape's", async () => {
      exports = [];
      upstream.reset();
      const recorded = await tracetape(['record', '--', 'node', APP], { ...appEnv(), NODE_OPTIONS: option });
      expect(recorded.code, recorded.stderr).toBe(0);
      expect(recorded.stderr).toContain('1 call)');
      manualTrace = recordedTraceId(recorded.stderr);
      manualOutput = recorded.stdout;
      expect(upstream.count()).toBe(1);
      const spans = collectedSpans();
      expect(spans.map((span) => `${span.scope} ${span.name}`)).toContain('@opentelemetry/instrumentation-undici POST');
      expect(spans.flatMap((span) => span.attributes.map((attribute) => attribute.key)).filter((key) => key.startsWith('tracetape.'))).toEqual([]);
    }, 60_000);

    it('is replayed with nothing sent to the upstream or the collector', async () => {
      upstream.reset();
      collector.reset();
      const replayed = await tracetape(['replay', '--strict', manualTrace, '--', 'node', APP], { ...appEnv(), NODE_OPTIONS: option });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(manualOutput);
      expect(replayed.stderr).toContain('1 served, 0 unconsumed, 0 blocked');
      expect(upstream.count()).toBe(0);
      expect(collector.count()).toBe(0);
    }, 60_000);

    it('is recorded in a child process under that process, and replayed there', async () => {
      // As `npm start` runs it: the app is the run's second process (0.1), NODE_OPTIONS inherited.
      const command = ['node', path.join(FIXTURES, 'wrapper.mjs'), APP];
      const recorded = await tracetape(['record', '--', ...command], { ...appEnv(), NODE_OPTIONS: option });
      expect(recorded.code, recorded.stderr).toBe(0);
      const traceId = recordedTraceId(recorded.stderr);
      const tape = await tracetape(['tape', traceId, '--json'], env);
      const { entries } = JSON.parse(tape.stdout) as { entries: Array<{ process?: string }> };
      expect(entries.map((entry) => entry.process ?? '0')).toEqual(['0.1']);
      upstream.reset();
      const replayed = await tracetape(['replay', '--strict', traceId, '--', ...command], { ...appEnv(), NODE_OPTIONS: option });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
      expect(upstream.count()).toBe(0);
    }, 60_000);
  });
});
