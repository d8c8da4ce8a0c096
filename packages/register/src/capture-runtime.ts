import fs from 'node:fs';
import type { UnansweredCall } from '@tracetape/core';
import { CaptureSession, InboundCapture, type HttpServerHooks } from '@tracetape/instrumentation';
import type { RegisterConfig } from './config.js';
import { BufferedExportProcessor } from './export/buffered-export-processor.js';
import type { LogShipping } from './export/log-shipping.js';
import type { LogSpanExporter } from './export/log-span-exporter.js';
import { createSpanExport } from './export/span-exporter.js';
import { recordNondeterminism } from './nondeterminism.js';
import { MAX_LISTED_TRACES, RecordedTraces } from './recorded-traces.js';
import { runFileLines } from './run-file-lines.js';
import { ServedFromTapeMarker } from './then-live.js';

/** What recording needs from start to exit: the capture, the way spans leave, and what it recorded. */
export interface CaptureRuntime {
  session: CaptureSession;
  processor: ReturnType<CaptureSession['spanProcessor']>;
  exporter: BufferedExportProcessor;
  traces: RecordedTraces;
  /** Records a server span's inbound exchange. */
  inbound: InboundCapture;
  /** The HttpInstrumentation hooks that record a server span's inbound exchange. */
  inboundHooks: HttpServerHooks;
  /** The recording log: it says what each trace lost. */
  log: LogSpanExporter;
  /** Ships the log to a ClickHouse server or collector; absent for the embedded store. */
  shipping?: LogShipping;
  /** --then-live: marks the calls answered from the tape, so the new trace links back to the replayed one. */
  servedMarker?: ServedFromTapeMarker;
}

/** Capture, per the configuration: outbound and inbound calls onto spans, spans into the recording log. */
export function startCapture(config: RegisterConfig): CaptureRuntime {
  const captureOptions = {
    redaction: config.redaction,
    ...(config.hashHeaders ? { hashHeaders: config.hashHeaders } : {}),
    ...(config.maxBodyBytes ? { maxBodyBytes: config.maxBodyBytes } : {}),
  };
  const session = new CaptureSession({ ...captureOptions, ...(config.captureSource ? { source: config.captureSource } : {}) });
  const inbound = new InboundCapture(captureOptions);
  const inboundHooks = inbound.hooks();
  // Drops of the in-memory queue, and of every batch the exporter failed, count in the metrics.
  const spanExport = createSpanExport(config, () => exporter.droppedSpans);
  const log = spanExport.log;
  const exporter = new BufferedExportProcessor(spanExport.exporter, {
    // Appending to the log is cheap per batch and costs little per span: fewer, larger records.
    maxBatchSize: 512,
    onQueueDrop: (span) => log.noteDropped(span.spanContext().traceId, 'the in-memory span queue was full (the app ends spans faster than they can be written)'),
  });
  // Only a run file reads the list of traces; without one nothing is kept per trace.
  const traces = new RecordedTraces(exporter, config.runFilePath ? MAX_LISTED_TRACES : 0);
  // record prints "recorded" for each listed trace without a loss: a listed trace's loss is never unnamed.
  log.nameLossesOf((traceId) => traces.isListed(traceId));
  // A replay continued live takes its clock and random reads from the tape, not a fresh recording.
  const servedMarker = config.thenLive ? new ServedFromTapeMarker(traces) : undefined;
  const processor = session.spanProcessor(servedMarker ?? recordNondeterminism(traces));
  return {
    session,
    processor,
    exporter,
    traces,
    inbound,
    inboundHooks,
    log,
    ...(spanExport.shipping ? { shipping: spanExport.shipping } : {}),
    ...(servedMarker ? { servedMarker } : {}),
  };
}

/** At exit, synchronously: what is still open recorded as it stands, every span into the log, the last shipping try, and the run file. */
export function finishCaptureSync(capture: CaptureRuntime, config: RegisterConfig, run: ProcessRun, end: UnansweredCall): void {
  // No 'exit' handler of the doors: on a signal that ends the process there is no 'exit' event.
  capture.session.endOpenCalls();
  // A call nothing answered yet is recorded so (a worker's blocking read at Ctrl-C, a long poll).
  const waitingTraces = capture.processor.endUnansweredSync(end);
  capture.inbound.endUnanswered(end, waitingTraces);
  capture.processor.releaseWaitingSync();
  // What the registry still holds now, every saved span forwarded, is a call whose span never
  // ended, or never reached tracetape's processors, or whose answer had begun to arrive: a loss of
  // its trace, said before the log closes.
  for (const [traceId, calls] of capture.session.unsavedCalls()) capture.log.noteUnsaved(traceId, calls);
  capture.exporter.flushAndCloseSync();
  if (capture.shipping) shipAtExit(capture.shipping);
  writeRunFile(config, run, capture.traces, capture.log);
  if (capture.exporter.droppedSpans > 0) {
    process.stderr.write(`tracetape: ${capture.exporter.droppedSpans} span(s) could not be written to the recording log (see the errors above).\n`);
  }
}

/** This process's run, as the run file tells it. */
export interface ProcessRun {
  runTraceId: string;
  processPath: string;
  /** Why the run is not recorded (a sampler left it out, the SDK is off); absent when it is. */
  notRecorded: string | undefined;
}

function writeRunFile(config: RegisterConfig, run: ProcessRun, traces: RecordedTraces, log: LogSpanExporter): void {
  if (!config.runFilePath) return;
  const lines = runFileLines({ ...run, runName: config.runName, pid: process.pid, traces, losses: log });
  try {
    fs.appendFileSync(config.runFilePath, `${lines.join('\n')}\n`);
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
