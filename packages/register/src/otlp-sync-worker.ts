/**
 * Child process behind OtlpSpanExporter.exportSync: a process 'exit' handler cannot wait for
 * HTTP, but it can block on a child that does. Reads one job as JSON on stdin, POSTs it, exits 0
 * on a 2xx answer, or prints an OtlpSyncFailure as JSON to stderr and exits 1. Self-contained
 * (Node built-ins only) so it starts fast.
 */

export interface OtlpSyncJob {
  url: string;
  headers: Record<string, string>;
  /** The ExportTraceServiceRequest, protobuf-encoded, as base64. */
  body: string;
}

/** What the exporter needs to know of a failure: whether sending again later could succeed. */
export interface OtlpSyncFailure {
  /** The collector answered with a status that would not change on a retry. */
  refused: boolean;
  message: string;
}

/** The statuses OTLP/HTTP says to retry: the collector is there but cannot take the spans now. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

class RefusedError extends Error {}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const job = JSON.parse(await readStdin()) as OtlpSyncJob;
  const response = await fetch(job.url, {
    method: 'POST',
    headers: { ...job.headers, 'content-type': 'application/x-protobuf' },
    body: Buffer.from(job.body, 'base64'),
  });
  if (!response.ok) {
    // Error bodies are a google.rpc.Status in the request's encoding: only JSON is worth printing.
    const text = response.headers.get('content-type')?.includes('json') ? (await response.text()).slice(0, 300) : '';
    const message = `the collector answered HTTP ${response.status}${text ? ` (${text})` : ''}`;
    throw RETRYABLE_STATUSES.has(response.status) ? new Error(message) : new RefusedError(message);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const failure: OtlpSyncFailure = {
      refused: error instanceof RefusedError,
      message: `${error instanceof Error ? error.message : String(error)}${cause}`,
    };
    process.stderr.write(JSON.stringify(failure));
    process.exit(1);
  },
);
