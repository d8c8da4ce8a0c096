import { context, trace } from '@opentelemetry/api';

/** How many traces' numbering a process keeps: a recorded server starts a trace per request. */
export const MAX_NUMBERED_TRACES = 10_000;

/**
 * Numbers the connections each trace opens to each URL: 1, 2… A replay runs one trace (a
 * script's run, or one request a server handled), so a connection's number must not depend on
 * what the process opened in other traces before it (a server's second request would otherwise
 * record connection 2 and replay asking for 1). Capture and playback number alike. Kept for the
 * traces that opened a connection most recently, so a server recording for months holds a bounded
 * map; a trace that opens one again after that many others did numbers from 1 again.
 */
export class ConnectionNumbers {
  private readonly byTrace = new Map<string, Map<string, number>>();

  constructor(private readonly maxTraces = MAX_NUMBERED_TRACES) {}

  /** The next number for `url` in the active trace; a number `given` (handed over) is used as it is, and counted. */
  next(url: string, given?: number): number {
    const traceId = trace.getSpan(context.active())?.spanContext().traceId ?? '';
    const urls = this.byTrace.get(traceId) ?? new Map<string, number>();
    // Set again at the end: the map's order is the order traces last opened a connection in.
    this.byTrace.delete(traceId);
    this.byTrace.set(traceId, urls);
    if (this.byTrace.size > this.maxTraces) this.byTrace.delete(this.byTrace.keys().next().value!);
    const last = urls.get(url) ?? 0;
    const connection = given ?? last + 1;
    urls.set(url, Math.max(connection, last));
    return connection;
  }

  /** Traces whose numbering is kept. */
  get traces(): number {
    return this.byTrace.size;
  }
}
