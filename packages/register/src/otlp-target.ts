import { parseKeyPairsIntoRecord } from '@opentelemetry/core';
import { INTERNAL_REQUEST_HEADER } from '@tracetape/core';

/** Where and how OTLP spans go: resolved once, so the async exporter and the exit path agree. */
export interface OtlpTarget {
  /** Full traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
  url: string;
  /** OTEL_EXPORTER_OTLP_(TRACES_)HEADERS plus tracetape's internal-traffic marker. */
  headers: Record<string, string>;
}

const TRACES_PATH = 'v1/traces';
/** The OTLP/HTTP default when no endpoint is configured (TRACETAPE_EXPORTER=otlp alone). */
const DEFAULT_ENDPOINT = 'http://localhost:4318/';

/**
 * Resolves the endpoint the way the OpenTelemetry exporters do: the signal-specific variable is
 * the full URL; the general one is a base that gets `v1/traces` appended.
 */
export function otlpTargetFromEnv(env: NodeJS.ProcessEnv = process.env): OtlpTarget {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || DEFAULT_ENDPOINT;
  const url = specific || `${base.endsWith('/') ? base : `${base}/`}${TRACES_PATH}`;
  return {
    url,
    headers: {
      ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
      // Capture must neither record nor (in playback) block the exporter's own requests.
      [INTERNAL_REQUEST_HEADER]: '1',
    },
  };
}
