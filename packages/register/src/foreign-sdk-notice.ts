import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';

const DUPLICATE_TRACE_REGISTRATION = /duplicate registration of API: trace\b/;

export const FOREIGN_SDK_NOTICE =
  'tracetape: the app registered an OpenTelemetry tracer provider of its own that tracetape cannot feed (not an OpenTelemetry SDK provider, or an SDK bundled into the app). ' +
  "The hook's provider came first and stays the global one: the app's spans are recorded by tracetape, and the app's own provider receives none while tracetape records. " +
  "To send them to your collector as well, export tracetape's spans there: OTEL_EXPORTER_OTLP_ENDPOINT=<collector> (see docs/collector-and-otlp.md).\n";

/**
 * Says so, once, when an app's tracer provider that tracetape does not feed (see
 * app-sdk/app-api-instrumentation.ts) fails to become the global one because the hook's came
 * first: otherwise the app's exporter goes quiet with no word (the API reports it only
 * to a diagnostic logger, and there is none unless OTEL_LOG_LEVEL is set). The diag logger is the
 * one channel every copy of the OpenTelemetry API shares, the app's included. With OTEL_LOG_LEVEL
 * set, the SDK's console logger replaces this one and prints the API's own error.
 */
export function noticeForeignTracerProvider(env: NodeJS.ProcessEnv = process.env, write: (line: string) => void = (line) => process.stderr.write(line)): void {
  if (env.OTEL_LOG_LEVEL) return;
  let told = false;
  const ignore = (): void => undefined;
  const logger: DiagLogger = {
    error: (message: string) => {
      if (told || !DUPLICATE_TRACE_REGISTRATION.test(message)) return;
      told = true;
      write(FOREIGN_SDK_NOTICE);
    },
    warn: ignore,
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true });
}
