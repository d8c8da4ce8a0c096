import { register as registerLoaderHook } from 'node:module';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_PROCESS_PATH, ATTR_TRACETAPE_RUN } from '@tracetape/core';
import { inheritedRun, installProcessPropagation, RealRandomIdGenerator, RunContextManager, TRACER_NAME } from '@tracetape/instrumentation';
import { hrTimeToNanos } from '@tracetape/clickhouse';
import { finishCaptureSync, startCapture } from './capture-runtime.js';
import type { RegisterConfig } from './config.js';
import { installExitHooks } from './exit-hooks.js';
import { createInstrumentations } from './instrumentations.js';
import { finishPlaybackSync, startPlayback } from './playback-runtime.js';
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

export interface TracetapeRuntime {
  mode: RegisterConfig['mode'];
  /** Trace ID of this process run's root span. */
  runTraceId: string | undefined;
}

/** Starts the OpenTelemetry SDK with tracetape capture or playback, per the configuration. */
export function startTracetape(config: RegisterConfig): TracetapeRuntime {
  if (config.mode === 'off') return { mode: 'off', runTraceId: undefined };
  // Metrics and logs pipelines: none unless the user chose one, and none at all in a replay.
  configureTelemetryEnv(config.mode);
  // ESM apps import node:http before any patch could run; the loader hook lets the instrumentations see those imports.
  registerLoaderHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  // A child process or worker of a recorded app: part of its parent's run, in its parent's trace.
  const { processPath, parentContext } = inheritedRun();
  const contextManager = new RunContextManager();
  // Before the sessions: their child-process door goes in front of it, and decides first which
  // starts are boundary calls; the run's own Node children fall through to it.
  installProcessPropagation({ hookUrl: HOOK_URL, processPath });
  // --then-live is playback and capture at once: the tape answers what it holds, the rest is recorded.
  const capture = config.mode === 'capture' || config.thenLive ? startCapture(config) : undefined;
  const playback = config.mode === 'playback' ? startPlayback(config, processPath, capture?.servedMarker) : undefined;
  const continuation = playback?.continuation;

  const sdk = new NodeSDK({
    contextManager,
    idGenerator: new RealRandomIdGenerator(),
    // Spans are still made in playback (the code runs exactly as recorded), but go nowhere.
    spanProcessors: [capture?.processor ?? DISCARD, ...(playback ? [playback.replayedReads.processor] : [])],
    instrumentations: createInstrumentations(capture?.inboundHooks, playback ? playback.session.instrumentations() : (capture?.session.instrumentations() ?? [])),
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_TRACETAPE_PROCESS_PATH]: processPath })),
    // Without OTEL_SERVICE_NAME the SDK would call every app "unknown_service:node"; the script name says more.
    ...(hasServiceName() ? {} : { serviceName: serviceName(config) }),
  });
  sdk.start();

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
  playback?.replayedReads.setProcessRun(runTraceId);
  capture?.log.announceRun({
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
    flushSync: () => {
      endRun();
      if (capture) finishCaptureSync(capture, config, runTraceId, processPath);
      if (playback) finishPlaybackSync(playback, config, processPath);
    },
  });

  return { mode: config.mode, runTraceId };
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
