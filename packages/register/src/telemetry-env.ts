import { INTERNAL_REQUEST_HEADER } from '@tracetape/core';
import type { RegisterMode } from './config.js';

const SIGNALS = [
  { exporter: 'OTEL_METRICS_EXPORTER', headers: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS' },
  { exporter: 'OTEL_LOGS_EXPORTER', headers: 'OTEL_EXPORTER_OTLP_LOGS_HEADERS' },
] as const;

/**
 * Decides, before the SDK starts, which metrics and logs pipelines it sets up. Unset, the SDK
 * would start OTLP exporters to localhost:4318: traffic the user did not ask for, so tracetape
 * says `none`. In capture a pipeline the user chose is kept (tracetape's own counters then go out
 * through it, see export-metrics.ts), and its requests carry tracetape's internal-traffic marker
 * so they are not recorded as calls of the app. A replay sends nothing out, telemetry included:
 * its exports would be blocked, failing the replay, or mix with production's.
 */
export function configureTelemetryEnv(mode: RegisterMode, env: NodeJS.ProcessEnv = process.env): void {
  for (const signal of SIGNALS) {
    const chosen = env[signal.exporter]?.trim();
    if (mode === 'playback' || !chosen) {
      env[signal.exporter] = 'none';
      continue;
    }
    if (!chosen.split(',').some((name) => name.trim() === 'otlp')) continue;
    const headers = env[signal.headers]?.trim();
    if (headers?.toLowerCase().includes(`${INTERNAL_REQUEST_HEADER}=`)) continue;
    env[signal.headers] = headers ? `${headers},${INTERNAL_REQUEST_HEADER}=1` : `${INTERNAL_REQUEST_HEADER}=1`;
  }
}
