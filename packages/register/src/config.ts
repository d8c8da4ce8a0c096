import path from 'node:path';
import { channelCaptureAvailable, type CaptureSource } from '@tracetape/instrumentation';
import {
  ConfigError,
  parseModelDriftAllowances,
  redactionOptionsFromEnv,
  type ModelDriftAllowance,
  type RedactionOptions,
} from '@tracetape/core';

export type RegisterMode = 'capture' | 'playback' | 'off';

/** Where captured spans go: `clickhouse` writes the store itself, `otlp` sends to a collector. */
export type ExporterKind = 'clickhouse' | 'otlp';

/** Everything the register hook reads from the environment (TRACETAPE_*; OTEL_* are read by the SDK). */
export interface RegisterConfig {
  mode: RegisterMode;
  /** Name of the process run's root span (default: the script's file name). */
  runName: string;
  /** Playback: the tape file to answer from. */
  tapePath?: string;
  /** Playback: where to write the replay report as JSON (the CLI reads it). */
  reportPath?: string;
  /** Playback: the file the command's processes note their listening sockets in (TRACETAPE_COMMAND_LISTENERS, set by the CLI). */
  commandListenersPath?: string;
  /** Capture: where to append the IDs of the traces this process recorded (the CLI reads it). */
  runFilePath?: string;
  /** Everything redacted before storing and hashing; capture and playback must agree on it. */
  redaction: Required<RedactionOptions>;
  hashHeaders?: string[];
  maxBodyBytes?: number;
  /** Capture: where outbound calls are read (TRACETAPE_CAPTURE_SOURCE; default the channels from Node 24.4, else the interceptor). */
  captureSource?: CaptureSource;
  liveHosts: string[];
  /** TRACETAPE_LIVE_READ_HOSTS: hosts whose HTTP reads go to the network in playback (`tracetape check --mode live-read`). */
  liveReadHosts: string[];
  /** Playback: LLM model drifts to serve anyway (TRACETAPE_ALLOW_MODEL_DRIFT, `recorded=current,…`). */
  allowModelDrift: ModelDriftAllowance[];
  /** Upper bound for flushing on exit and on signals. */
  flushTimeoutMs: number;
  /** TRACETAPE_EXPORTER; without it, `otlp` when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT). */
  exporter: ExporterKind;
  /** Playback: pause under the Node inspector just before this step is answered (TRACETAPE_BREAK_AT). */
  breakAt?: number;
  /** Playback: calls the tape does not hold go live and are recorded into a new trace (TRACETAPE_THEN_LIVE=1). */
  thenLive?: boolean;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): RegisterConfig {
  const mode = (env.TRACETAPE_MODE ?? 'capture').toLowerCase();
  if (mode !== 'capture' && mode !== 'playback' && mode !== 'off') {
    throw new ConfigError(`TRACETAPE_MODE must be capture, playback or off, not "${env.TRACETAPE_MODE}".`);
  }
  const config: RegisterConfig = {
    mode,
    runName: env.TRACETAPE_RUN_NAME || defaultRunName(argv),
    redaction: redactionOptionsFromEnv(env),
    liveHosts: list(env.TRACETAPE_LIVE_HOSTS),
    liveReadHosts: list(env.TRACETAPE_LIVE_READ_HOSTS),
    allowModelDrift: parseModelDriftAllowances(list(env.TRACETAPE_ALLOW_MODEL_DRIFT), 'TRACETAPE_ALLOW_MODEL_DRIFT'),
    flushTimeoutMs: positiveInt(env, 'TRACETAPE_FLUSH_TIMEOUT_MS') ?? 5000,
    exporter: exporterKind(env),
    thenLive: mode === 'playback' && ['1', 'true', 'yes'].includes((env.TRACETAPE_THEN_LIVE ?? '').toLowerCase()),
  };
  const breakAt = positiveInt(env, 'TRACETAPE_BREAK_AT');
  if (breakAt !== undefined) config.breakAt = breakAt;
  if (env.TRACETAPE_TAPE) config.tapePath = path.resolve(env.TRACETAPE_TAPE);
  if (env.TRACETAPE_REPORT_FILE) config.reportPath = path.resolve(env.TRACETAPE_REPORT_FILE);
  if (env.TRACETAPE_COMMAND_LISTENERS) config.commandListenersPath = path.resolve(env.TRACETAPE_COMMAND_LISTENERS);
  if (env.TRACETAPE_RUN_FILE) config.runFilePath = path.resolve(env.TRACETAPE_RUN_FILE);
  if (env.TRACETAPE_HASH_HEADERS) config.hashHeaders = list(env.TRACETAPE_HASH_HEADERS);
  const captureSource = captureSourceFrom(env);
  if (captureSource) config.captureSource = captureSource;
  const maxBodyBytes = positiveInt(env, 'TRACETAPE_MAX_BODY_BYTES');
  if (maxBodyBytes !== undefined) config.maxBodyBytes = maxBodyBytes;
  if (mode === 'playback' && !config.tapePath) {
    throw new ConfigError('TRACETAPE_MODE=playback needs TRACETAPE_TAPE, the tape file to answer from (write one with `tracetape tape <traceId> -o tape.json`).');
  }
  return config;
}

/** The spool's variables, replaced by the recording log's: one line for whoever still sets them. */
export function retiredVariablesNotice(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = ['TRACETAPE_SPOOL_DIR', 'TRACETAPE_SPOOL_MAX_BYTES'].filter((name) => env[name]);
  if (set.length === 0) return undefined;
  return (
    `tracetape: ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} no longer read: spans a ClickHouse server or collector cannot take yet ` +
    'wait in the recording log instead (TRACETAPE_LOG_DIR, default <TRACETAPE_DIR>/tracetape-log; size bound TRACETAPE_LOG_MAX_BYTES).'
  );
}

function captureSourceFrom(env: NodeJS.ProcessEnv): CaptureSource | undefined {
  const chosen = (env.TRACETAPE_CAPTURE_SOURCE ?? '').trim().toLowerCase();
  if (chosen === '') return undefined;
  if (chosen !== 'interceptor' && chosen !== 'channels') {
    throw new ConfigError(`TRACETAPE_CAPTURE_SOURCE must be interceptor or channels, not "${env.TRACETAPE_CAPTURE_SOURCE}".`);
  }
  if (chosen === 'channels' && !channelCaptureAvailable()) {
    throw new ConfigError(
      `TRACETAPE_CAPTURE_SOURCE=channels needs Node 24.4 or later (undici's body channels); this is Node ${process.versions.node}. Unset it to capture with the interceptor.`,
    );
  }
  return chosen;
}

export function exporterKind(env: NodeJS.ProcessEnv): ExporterKind {
  const chosen = (env.TRACETAPE_EXPORTER ?? '').trim().toLowerCase();
  if (chosen === 'otlp' || chosen === 'clickhouse') return chosen;
  if (chosen !== '') throw new ConfigError(`TRACETAPE_EXPORTER must be clickhouse or otlp, not "${env.TRACETAPE_EXPORTER}".`);
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : 'clickhouse';
}

function defaultRunName(argv: readonly string[]): string {
  const script = argv[1];
  return script ? path.basename(script) : 'node';
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new ConfigError(`${name} must be a positive whole number, not "${value}".`);
  return parsed;
}
