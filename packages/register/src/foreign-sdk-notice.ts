import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';

const DUPLICATE_TRACE_REGISTRATION = /duplicate registration of API: trace\b/;

export const FOREIGN_SDK_NOTICE =
  "tracetape: the app started an OpenTelemetry SDK of its own after tracetape's hook had started one. Only the first becomes the global tracer provider: " +
  "the app's spans, its instrumentations' included, are recorded by tracetape, and the exporter the app configured receives none while tracetape records. " +
  'To send them to your collector as well, export tracetape\'s spans there: OTEL_EXPORTER_OTLP_ENDPOINT=<collector> (see docs/collector-and-otlp.md).\n';

/**
 * Says so, once, when the app's own SDK fails to become the global tracer provider because the
 * hook's came first: otherwise the app's exporter goes quiet with no word (the API reports it only
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
