import type { UndiciRequest } from '@opentelemetry/instrumentation-undici';

/** The headers a W3C (or B3, Jaeger) injection adds: those of another tracer are not added twice. */
const TRACE_HEADERS = new Set(['traceparent', 'tracestate', 'baggage', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'uber-trace-id']);

type AddHeader = (this: UndiciRequest, name: string, value: string) => unknown;

/**
 * One value per trace header on a fetch that tracetape's undici instrumentation and the app's
 * both trace. Each adds the headers it injects to the request as it is created, tracetape's first
 * (its channel subscription is older): undici sends both, and the next service reads
 * `traceparent: <tracetape's>, <the app's>`, which no W3C parser accepts, so it started a new
 * trace (B3's headers broke the same way). Given the request before tracetape injects, this makes
 * a later addition of a header tracetape added replace its value in place: the app's wins, as it
 * would without tracetape. An app's instrumentation subscribed before tracetape's (an SDK preloaded
 * with `--require`, started before the hook) has added its headers already: tracetape's then adds
 * none of the same name. Requests nobody else traces are left as they are.
 */
export function keepOneTraceHeader(request: UndiciRequest): void {
  const add = request.addHeader as AddHeader | undefined;
  if (typeof add !== 'function') return;
  // Where each header tracetape added sits in the request's [name, value, ...] list.
  const added = new Map<string, number>();
  // The trace headers the request carries before tracetape's injection: another tracer's.
  const before = traceHeadersOf(request.headers);
  request.addHeader = function addHeader(this: UndiciRequest, name: string, value: string) {
    const { headers } = this;
    const key = name.toLowerCase();
    const at = added.get(key);
    if (at !== undefined && Array.isArray(headers) && headers[at] === name) {
      headers[at + 1] = value;
      added.delete(key);
      return this;
    }
    // Added before tracetape's injection began: the app's instrumentation came first.
    if (at === undefined && Array.isArray(headers) && before.has(key)) return this;
    const result = add.call(this, name, value);
    if (at === undefined && Array.isArray(headers)) added.set(key, headers.length - 2);
    return result;
  } as UndiciRequest['addHeader'];
}

/** What a request nobody else traced carries: shared, since most fetches are such. */
const NONE: ReadonlySet<string> = new Set();

/** The trace headers, lower-cased, in undici's [name, value, ...] list (none when it is not one). */
function traceHeadersOf(headers: unknown): ReadonlySet<string> {
  if (!Array.isArray(headers)) return NONE;
  let found: Set<string> | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = String(headers[i]).toLowerCase();
    if (TRACE_HEADERS.has(name)) (found ??= new Set()).add(name);
  }
  return found ?? NONE;
}
