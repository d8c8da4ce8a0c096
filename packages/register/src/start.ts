import { register as registerLoaderHook } from 'node:module';
import { propagation, ProxyTracerProvider, ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_PROCESS_PATH, ATTR_TRACETAPE_RUN, SdkStartedFirstError, TAPE_PENDING_ENV } from '@tracetape/core';
import {
  inheritedRun,
  installProcessPropagation,
  preloadNodeFetch,
  RealRandomIdGenerator,
  RunContextManager,
  startSpansAsLibrary,
  TRACER_NAME,
} from '@tracetape/instrumentation';
import { AppApiInstrumentation } from './app-sdk/app-api-instrumentation.js';
import { AppSpanForwarder } from './app-sdk/app-span-forwarder.js';
import { HookPropagator } from './app-sdk/hook-propagator.js';
import { keepWrappers } from './app-sdk/keep-wrappers.js';
import { patchLoadedBuiltins } from './app-sdk/patch-loaded-builtins.js';
import { sdkStartedFirst, sdkStartedFirstMessage } from './app-sdk/sdk-started-first.js';
import { takeOverStartedSdk } from './app-sdk/started-sdk.js';
import { OwnSpans } from './app-sdk/own-spans.js';
import type { RegisterConfig } from './config.js';
import { installExitHooks } from './exit-hooks.js';
import { noticeForeignTracerProvider } from './foreign-sdk-notice.js';
import { whyRunNotRecorded } from './run-not-recorded.js';
import { awaitTapeArrival } from './tape-arrival.js';
import { createInstrumentations } from './instrumentations.js';
import { allOf } from './span-processors.js';
import { configureTelemetryEnv } from './telemetry-env.js';

/** What a child process or worker of the app loads to join the run: this package's entry. */
const HOOK_URL = new URL('./index.js', import.meta.url).href;

/** Where spans go in playback: nowhere. */
const DISCARD: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (_span: ReadableSpan) => undefined,
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

/** What the hook started; `node --import @tracetape/register` keeps it at `globalThis[Symbol.for('tracetape.register.started')]`. */
export interface TracetapeRuntime {
  mode: RegisterConfig['mode'];
  /** Trace ID of this process run's root span. */
  runTraceId: string | undefined;
  /**
   * Calls whose capture the hook holds right now (waiting for a response, or for their span to be
   * saved): bounded by the calls in flight however long the app runs; zeros when not recording.
   */
  heldCaptures(): { requests: number; spans: number };
}

/**
 * Starts the OpenTelemetry SDK with tracetape capture or playback, per the configuration. Each mode
 * loads only what it uses: a replay loads no exporter, recording log, store client or the full
 * NodeSDK (its metrics, logs and exporter packages), which made the hook take over a second to start.
 */
export async function startTracetape(config: RegisterConfig): Promise<TracetapeRuntime> {
  if (config.mode === 'off') return { mode: 'off', runTraceId: undefined, heldCaptures: noCaptures };
  // An SDK preloaded before the hook (`--require …/auto-instrumentations-node/register`) holds the
  // API's globals: taken back now, before anything is awaited, so that no tracer of its
  // instrumentations is handed its provider while the hook starts.
  const takeOver = takeOverStartedSdk();
  const startedSdk = takeOver && 'taken' in takeOver ? takeOver.taken : undefined;
  // Metrics and logs pipelines: none unless the user chose one, and none at all in a replay.
  configureTelemetryEnv(config.mode);
  // --then-live is playback and capture at once: the tape answers what it holds, the rest is recorded.
  const recording = config.mode === 'capture' || config.thenLive;
  const pendingTape = config.mode === 'playback' ? Number(process.env[TAPE_PENDING_ENV] ?? 0) : 0;
  // `tracetape replay` may start the app while it builds the tape: the hook loads and sets up
  // everything that does not need the tape meanwhile.
  const tapeArrival = pendingTape > 0 ? awaitTapeArrival(config.tapePath!, pendingTape) : undefined;
  const [captureRuntime, playbackRuntime, sdkModule] = await Promise.all([
    recording ? import('./capture-runtime.js') : undefined,
    config.mode === 'playback' ? import('./playback-runtime.js') : undefined,
    // Recording keeps the NodeSDK: a metrics or logs pipeline the user chose goes on working.
    // A replay has none (see telemetry-env.ts), so traces alone are set up, without its packages.
    recording ? import('@opentelemetry/sdk-node') : import('./traces-only-sdk.js'),
  ]);
  // ESM apps import node:http before any patch could run; the loader hook lets the instrumentations
  // see those imports. After this process's own imports: every import past it goes through the hook.
  registerLoaderHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  // A child process or worker of a recorded app: part of its parent's run, in its parent's trace.
  const { processPath, parentContext } = inheritedRun();
  const contextManager = new RunContextManager();
  // Before the sessions: their child-process door goes in front of it, and decides first which
  // starts are boundary calls; the run's own Node children fall through to it.
  installProcessPropagation({ hookUrl: HOOK_URL, processPath });
  // Playback answers fetch at the global dispatcher Node makes as it loads fetch (tens of ms):
  // loaded here, while the tape is read, not after. --then-live answers fetch at the socket.
  if (config.mode === 'playback' && !config.thenLive) preloadNodeFetch();
  // The rest needs the tape. The loader hook's thread (~0.1 s to start) started while it was read.
  await tapeArrival;
  const capture = captureRuntime?.startCapture(config);
  const playback = playbackRuntime?.startPlayback(config, processPath, capture?.servedMarker);
  const continuation = playback?.continuation;

  const instrumentations = createInstrumentations(capture?.inboundHooks, playback ? playback.session.instrumentations() : (capture?.session.instrumentations() ?? []));
  // An app's own instrumentations of the same modules must not take tracetape's patches out.
  for (const instrumentation of instrumentations) keepWrappers(instrumentation, startedSdk?.patchesFirst);
  const ownSpans = new OwnSpans();
  // The hook's own span processing: the recording, or a replay's account of the reads it served.
  const hookProcessors = [capture?.processor ?? DISCARD, ...(playback ? [playback.replayedReads.processor] : [])];
  // While recording, an SDK the app starts of its own still gets the app's spans. In a replay it
  // is adopted too, and gets none (a replay sends nothing out): the spans of its provider's own
  // tracers reach the hook's processing either way.
  const appSpans = new AppSpanForwarder(ownSpans, allOf(hookProcessors), recording);
  // The app's propagator (B3, Jaeger) joins the hook's. A recording told OTEL_PROPAGATORS keeps
  // the SDK's reading of it, which an app's own SDK would read the same.
  const hookPropagator = recording && process.env.OTEL_PROPAGATORS ? undefined : new HookPropagator(!startedSdk?.patchesFirst);
  const appApi = new AppApiInstrumentation({ providers: appSpans, propagator: hookPropagator });
  const sdkOptions = {
    contextManager,
    idGenerator: new RealRandomIdGenerator(),
    // Spans are still made in playback (the code runs exactly as recorded), but go nowhere.
    spanProcessors: [...hookProcessors, ...(recording ? [appSpans] : [])],
    instrumentations: [...instrumentations, appApi],
    ...(hookPropagator ? { textMapPropagator: hookPropagator } : {}),
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_TRACETAPE_PROCESS_PATH]: processPath })),
    // Without OTEL_SERVICE_NAME the SDK would call every app "unknown_service:node"; the script name says more.
    ...(hasServiceName() ? {} : { serviceName: serviceName(config) }),
  };
  if ('NodeSDK' in sdkModule) new sdkModule.NodeSDK(sdkOptions).start();
  else sdkModule.startTracesOnly(sdkOptions);
  // Said here, whatever started the app: run directly with `node`, no run file carries it.
  const keptByApp = takeOver && 'refused' in takeOver ? takeOver.refused : sdkStartedFirst(contextManager) ? 'it registered its context manager as the hook started' : undefined;
  const startedSecond = keptByApp === undefined ? undefined : sdkStartedFirstMessage(keptByApp);
  if (startedSecond && config.mode === 'playback') {
    // The app would run with none of its clock and random reads served, and its SDK exporting
    // into the replay's doors: no replay is better than one that looks like the recording.
    throw new SdkStartedFirstError(`this process cannot be replayed: ${startedSecond}.`);
  }
  if (startedSecond) {
    process.stderr.write(`tracetape: nothing of this process is recorded: ${startedSecond}.\n`);
    // The spans of tracetape's doors would go to the app's exporter, with the payloads they carry.
    capture?.session.dispose();
    for (const instrumentation of instrumentations) instrumentation.disable();
  }
  // An app SDK that tracetape cannot feed (its API bundled into the app) gets nothing while the
  // hook's provider is the global one. While recording into the store, say so; exporting OTLP, the
  // spans go to the pipeline the user pointed tracetape at.
  if (recording && config.exporter !== 'otlp') noticeForeignTracerProvider();
  // The SDK's clock read as each span starts is its own, not the app's: no stack look for it.
  const globalProvider = trace.getTracerProvider();
  const provider = globalProvider instanceof ProxyTracerProvider ? globalProvider.getDelegate() : globalProvider;
  startSpansAsLibrary(provider);
  if (startedSdk) {
    for (const instrumentation of instrumentations) patchLoadedBuiltins(instrumentation);
    // The preloaded SDK's instrumentations start their spans here, where they are recorded; its
    // exporter still gets them (recording) through the forwarder, as an SDK started after the hook.
    startedSdk.redirect(ownSpans.appTracerProvider(provider));
    appSpans.adopt(startedSdk.provider);
    hookPropagator?.adopt(startedSdk.propagator);
  }
  // tracetape's instrumentations' spans are its own, not the app's, though they share scope names;
  // in a replay too, where a request's spans must form the same trace as in the recording.
  const ownProvider = ownSpans.tracerProvider(provider);
  for (const instrumentation of instrumentations) instrumentation.setTracerProvider(ownProvider);
  appApi.wrapLoaded({ trace, propagation });

  const runSpan: Span = trace
    .getTracer(TRACER_NAME)
    .startSpan(
      config.runName,
      {
        root: !parentContext,
        attributes: { [ATTR_TRACETAPE_RUN]: 'process', ...continuation?.attributes },
        ...(continuation ? { links: continuation.links } : {}),
      },
      parentContext,
    );
  contextManager.setRunContext(trace.setSpan(ROOT_CONTEXT, runSpan));
  const runTraceId = runSpan.spanContext().traceId;
  // A sampler may leave the run out (OTEL_TRACES_SAMPLER, an unsampled TRACEPARENT), or the SDK be
  // off (OTEL_SDK_DISABLED): nothing of the run is recorded, so none is announced, and the run file
  // says why instead of calling it recorded.
  const notRecorded = startedSecond ? startedSecond : runSpan.isRecording() ? undefined : whyRunNotRecorded(parentContext);
  playback?.replayedReads.setProcessRun(runTraceId);
  if (!notRecorded) capture?.log.announceRun({
    traceId: runTraceId,
    spanId: runSpan.spanContext().spanId,
    name: config.runName,
    serviceName: serviceName(config),
    processPath,
    startNs: hrTimeToNanos((runSpan as unknown as ReadableSpan).startTime),
  });

  process.on('uncaughtExceptionMonitor', (error) => {
    runSpan.recordException(error);
    runSpan.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  });

  let runEnded = false;
  const endRun = (): void => {
    if (runEnded) return;
    runEnded = true;
    if (process.exitCode && process.exitCode !== 0) {
      runSpan.setStatus({ code: SpanStatusCode.ERROR, message: `exit code ${process.exitCode}` });
    }
    runSpan.end();
  };

  installExitHooks({
    timeoutMs: config.flushTimeoutMs,
    flush: async () => {
      endRun();
      await capture?.processor.forceFlush();
      await capture?.shipping?.flush();
    },
    flushSync: (end) => {
      endRun();
      if (capture) captureRuntime!.finishCaptureSync(capture, config, { runTraceId, processPath, notRecorded }, end);
      if (playback) playbackRuntime!.finishPlaybackSync(playback, config, processPath);
    },
  });

  return { mode: config.mode, runTraceId, heldCaptures: capture ? () => capture.session.heldCaptures() : noCaptures };
}

const noCaptures = (): { requests: number; spans: number } => ({ requests: 0, spans: 0 });

/** Nanoseconds since the epoch, as the recording log stores start times. */
function hrTimeToNanos([seconds, nanos]: HrTime): bigint {
  return BigInt(Math.trunc(seconds)) * 1_000_000_000n + BigInt(Math.round(nanos));
}

const SERVICE_NAME_ATTRIBUTE = /(?:^|,)\s*service\.name=([^,]*)/;

/** The service name the SDK's resource gets: the configured one, else the script's name. */
function serviceName(config: RegisterConfig): string {
  const fromAttributes = SERVICE_NAME_ATTRIBUTE.exec(process.env.OTEL_RESOURCE_ATTRIBUTES ?? '')?.[1];
  return process.env.OTEL_SERVICE_NAME || (fromAttributes ? decodeURIComponent(fromAttributes.trim()) : config.runName.replace(/\.[cm]?[jt]s$/, ''));
}

function hasServiceName(): boolean {
  return Boolean(process.env.OTEL_SERVICE_NAME) || SERVICE_NAME_ATTRIBUTE.test(process.env.OTEL_RESOURCE_ATTRIBUTES ?? '');
}
