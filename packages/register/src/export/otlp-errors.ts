import { TracetapeError } from '@tracetape/core';

/** The collector answered, and said no (4xx other than 429, a 5xx other than 502–504): sending again would get the same answer. */
export class OtlpRefusedError extends TracetapeError {
  constructor(url: string, reason: string) {
    super('TRACETAPE_OTLP_REFUSED', `The collector at ${url} refused the spans: ${reason}. Check OTEL_EXPORTER_OTLP_HEADERS (a token?) and that the endpoint is an OTLP/HTTP traces receiver.`);
  }
}

/** No answer, a timeout, or "busy, come back later": the spans stay in the recording log and are sent again. */
export class OtlpUnreachableError extends TracetapeError {
  constructor(url: string, reason: string) {
    super('TRACETAPE_OTLP_UNREACHABLE', `Cannot reach the collector at ${url}: ${reason}. Is \`tracetape collector\` (or your OTLP receiver) running? Spans wait in the recording log (TRACETAPE_LOG_DIR) meanwhile.`);
  }
}
