import fs from 'node:fs';
import { register as registerLoaderHook } from 'node:module';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_PROCESS_PATH, ATTR_TRACETAPE_RUN, parseTape, tapeOfProcess } from '@tracetape/core';
import { checkTapeSize } from '@tracetape/core';
import {
  CaptureSession,
  inheritedRun,
  InboundCapture,
  InboundReplay,
  installProcessPropagation,
  PlaybackSession,
  RealRandomIdGenerator,
  RunContextManager,
  TRACER_NAME,
  type HttpServerHooks,
} from '@tracetape/instrumentation';
import { hrTimeToNanos } from '@tracetape/clickhouse';
import { BufferedExportProcessor } from './buffered-export-processor.js';
import type { RegisterConfig } from './config.js';
import { installExitHooks } from './exit-hooks.js';
import { recordNondeterminism, replayNondeterminism, type ReplayedReads } from './nondeterminism.js';
import { createInstrumentations } from './instrumentations.js';
import { RecordedTraces } from './recorded-traces.js';
import { summarizeReport, writeReplayReport } from './replay-report-file.js';
import { createSpanExport } from './span-exporter.js';
import { configureTelemetryEnv } from './telemetry-env.js';
import { continuationOf, ServedFromTapeMarker } from './then-live.js';
import type { LogShipping } from './export/log-shipping.js';
import type { LogSpanExporter } from './export/log-span-exporter.js';

/** What a child process or worker of the app loads to join the run: this package's entry. */
const HOOK_URL = new URL('./index.js', import.meta.url).href;

/** Spans are still made in playback (the code runs exactly as recorded) but go nowhere. */
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
  let capture: { session: CaptureSession; processor: ReturnType<CaptureSession['spanProcessor']>; exporter: BufferedExportProcessor; traces: RecordedTraces } | undefined;
  let playback: PlaybackSession | undefined;
  let spanProcessor: SpanProcessor = DISCARD;
  let replayedReads: ReplayedReads | undefined;
  // --then-live: playback and capture at once; the new trace links back to the replayed one.
  let servedMarker: ServedFromTapeMarker | undefined;
  let continuation: ReturnType<typeof continuationOf> | undefined;
  // Server traces: the inbound exchange is recorded on the server span, and sent again in playback.
  let inboundHooks: HttpServerHooks | undefined;
  let inboundReplay: InboundReplay | undefined;
  // Ships the log to a ClickHouse server or collector; at exit a last try, and one line for what is left.
  let shipping: LogShipping | undefined;
  // The recording log, when spans go there: it says what each trace lost.
  let log: LogSpanExporter | undefined;

  if (config.mode === 'capture' || config.thenLive) {
    const captureOptions = {
      redaction: config.redaction,
      ...(config.hashHeaders ? { hashHeaders: config.hashHeaders } : {}),
      ...(config.maxBodyBytes ? { maxBodyBytes: config.maxBodyBytes } : {}),
    };
    const session = new CaptureSession({ ...captureOptions, ...(config.captureSource ? { source: config.captureSource } : {}) });
    inboundHooks = new InboundCapture(captureOptions).hooks();
    // Drops of the in-memory queue, and of every batch the exporter failed, count in the metrics.
    const spanExport = createSpanExport(config, () => exporter.droppedSpans);
    shipping = spanExport.shipping;
    const recordingLog = spanExport.log;
    log = recordingLog;
    const exporter = new BufferedExportProcessor(spanExport.exporter, {
      // Appending to the log is cheap per batch and costs little per span: fewer, larger records.
      maxBatchSize: 512,
      onQueueDrop: (span) => recordingLog.noteDropped(span.spanContext().traceId, 'the in-memory span queue was full (the app ends spans faster than they can be written)'),
    });
    const traces = new RecordedTraces(exporter);
    // A replay continued live takes its clock and random reads from the tape, not a fresh recording.
    if (config.thenLive) servedMarker = new ServedFromTapeMarker(traces);
    const processor = session.spanProcessor(servedMarker ?? recordNondeterminism(traces));
    capture = { session, processor, exporter, traces };
    spanProcessor = processor;
  }
  if (config.mode === 'playback') {
    // `tracetape replay` always hands over a freshly signed tape; the variable is for a hand-run hook.
    // Refused by its size before it is read: parsing takes several times a tape's size in memory.
    checkTapeSize(fs.statSync(config.tapePath!).size, config.tapePath!);
    const whole = parseTape(fs.readFileSync(config.tapePath!, 'utf8'), config.tapePath, {
      allowModified: process.env.TRACETAPE_ALLOW_MODIFIED_TAPE === '1',
      onWarning: (message) => process.stderr.write(`tracetape: warning: ${message}\n`),
    });
    // Each process of the run answers the calls and reads its own counterpart recorded.
    const tape = tapeOfProcess(whole, processPath);
    replayedReads = replayNondeterminism(tape);
    if (config.thenLive) continuation = continuationOf(tape);
    if (tape.inbound) inboundReplay = new InboundReplay({ exchange: tape.inbound });
    playback = new PlaybackSession({
      tape,
      liveHosts: config.liveHosts,
      allowModelDrift: config.allowModelDrift,
      ...(config.breakAt ? { breakAtStep: config.breakAt } : {}),
      ...(servedMarker ? { thenLive: true, onServed: servedMarker.noteServed } : {}),
      ...(config.hashHeaders ? { hashHeaders: config.hashHeaders } : {}),
      redaction: config.redaction,
      onDivergence: (error) => {
        // Under the CLI the report carries it; run by hand, say it where the user looks.
        if (!config.reportPath) process.stderr.write(`tracetape: ${error.message}\n`);
      },
    });
  }

  const sdk = new NodeSDK({
    contextManager,
    idGenerator: new RealRandomIdGenerator(),
    spanProcessors: [spanProcessor, ...(replayedReads ? [replayedReads.processor] : [])],
    instrumentations: createInstrumentations(inboundHooks),
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_TRACETAPE_PROCESS_PATH]: processPath })),
    // Without OTEL_SERVICE_NAME the SDK would call every app "unknown_service:node"; the script name says more.
    ...(hasServiceName() ? {} : { serviceName: serviceName(config) }),
  });
  sdk.start();
  installProcessPropagation({ hookUrl: HOOK_URL, processPath });

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
  replayedReads?.setProcessRun(runTraceId);
  log?.announceRun({
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
      await shipping?.flush();
    },
    flushSync: () => {
      endRun();
      if (capture) {
        capture.processor.releaseWaitingSync();
        capture.exporter.flushAndCloseSync();
        if (shipping) shipAtExit(shipping);
        writeRunFile(config, runTraceId, capture.traces, log, processPath);
        if (capture.exporter.droppedSpans > 0) {
          process.stderr.write(`tracetape: ${capture.exporter.droppedSpans} span(s) could not be written to the recording log (see the errors above).\n`);
        }
      }
      if (playback) {
        const report = {
          ...playback.report(),
          ...(replayedReads ? { nondeterminism: replayedReads.usage() } : {}),
          ...(inboundReplay ? { inbound: inboundReplay.outcome() } : {}),
        };
        if (config.reportPath) writeReplayReport(config.reportPath, report, processPath);
        else process.stderr.write(`${summarizeReport(report)}\n`);
        // A replay that had to block a call did not reproduce the run, whatever the app made of the error.
        if ((report.blocked.length > 0 || report.blockedConnections?.length) && !process.exitCode) process.exitCode = 1;
      }
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

function writeRunFile(config: RegisterConfig, runTraceId: string, traces: RecordedTraces, log: LogSpanExporter | undefined, processPath: string): void {
  if (!config.runFilePath) return;
  const recorded = traces.list();
  const lines = recorded.length > 0 ? recorded : [{ traceId: runTraceId, calls: 0 }];
  const text = lines
    .map((entry) => {
      const loss = log?.lossOf(entry.traceId);
      return JSON.stringify({
        ...entry,
        name: entry.traceId === runTraceId ? config.runName : undefined,
        pid: process.pid,
        process: processPath,
        ...(loss ? { lostSpans: loss.spans, lossReason: loss.reason } : {}),
      });
    })
    .join('\n');
  try {
    fs.appendFileSync(config.runFilePath, `${text}\n`);
  } catch (error) {
    process.stderr.write(`tracetape: could not write the run file ${config.runFilePath}: ${(error as Error).message}\n`);
  }
}

/** The last try to ship what the log holds, then one line for what is still waiting, and why. */
function shipAtExit(shipping: LogShipping): void {
  try {
    shipping.shipSync();
  } catch (error) {
    process.stderr.write(`tracetape: could not ship the recording log at ${shipping.logDir}: ${(error as Error).message}\n`);
  }
  const line = shipping.summary();
  if (line) process.stderr.write(`${line}\n`);
}
