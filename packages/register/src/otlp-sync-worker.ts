/**
 * Child process behind OtlpSpanExporter.exportSync: a process 'exit' handler cannot wait for
 * HTTP, but it can block on a child that does. Reads one job as JSON on stdin, POSTs it, exits 0
 * on a 2xx answer, or prints the reason to stderr and exits 1. Self-contained (Node built-ins
 * only) so it starts fast.
 */

export interface OtlpSyncJob {
  url: string;
  headers: Record<string, string>;
  /** The ExportTraceServiceRequest, protobuf-encoded, as base64. */
  body: string;
}

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
    throw new Error(`the collector answered HTTP ${response.status}${text ? ` (${text})` : ''}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}${cause}`);
    process.exit(1);
  },
);
