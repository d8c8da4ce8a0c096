import path from 'node:path';
import { DEFAULT_STORE_DIR, storeOptionsFromEnv } from '@tracetape/clickhouse';
import { DEFAULT_LOG_MAX_BYTES, logDirOf } from '@tracetape/log';
import { exporterKind, positiveInt } from './config.js';
import { otlpTargetFromEnv } from './otlp-target.js';

/**
 * Where a recording process appends its spans. Read only when recording: a replay writes no log,
 * and must not load the store and log packages to start.
 */
export interface LogSettings {
  /**
   * The recording log every process appends to (TRACETAPE_LOG_DIR, default `<store dir>/tracetape-log`),
   * whatever the destination: a server or a collector is shipped to from it, and what they cannot
   * take yet waits there.
   */
  logDir: string;
  /** Bound on the log's size on disk (TRACETAPE_LOG_MAX_BYTES, default 1 GiB): past it spans are dropped and counted. */
  logMaxBytes: number;
}

export function logSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LogSettings {
  return { logDir: logDirFromEnv(env), logMaxBytes: positiveInt(env, 'TRACETAPE_LOG_MAX_BYTES') ?? DEFAULT_LOG_MAX_BYTES };
}

/**
 * TRACETAPE_LOG_DIR, else beside the store directory: the embedded store's log, or one of its own
 * per ClickHouse server or OTLP collector the spans are shipped to.
 */
function logDirFromEnv(env: NodeJS.ProcessEnv): string {
  if (env.TRACETAPE_LOG_DIR) return path.resolve(env.TRACETAPE_LOG_DIR);
  const storeDir = env.TRACETAPE_DIR || DEFAULT_STORE_DIR;
  if (exporterKind(env) === 'otlp') return logDirOf(storeDir, { otlp: otlpTargetFromEnv(env).url });
  const store = storeOptionsFromEnv(env);
  return logDirOf(storeDir, store.url ? { server: store.url, database: store.database } : undefined);
}
