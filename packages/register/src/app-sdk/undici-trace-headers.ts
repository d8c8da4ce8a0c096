import type { UndiciRequest } from '@opentelemetry/instrumentation-undici';

type AddHeader = (this: UndiciRequest, name: string, value: string) => unknown;

/**
 * One value per trace header on a fetch that tracetape's undici instrumentation and the app's
 * both trace. Each adds the headers it injects to the request as it is created, tracetape's first
 * (its channel subscription is older): undici sends both, and the next service reads
 * `traceparent: <tracetape's>, <the app's>`, which no W3C parser accepts, so it started a new
 * trace (B3's headers broke the same way). Given the request before tracetape injects, this makes
 * a later addition of a header tracetape added replace its value in place: the app's wins, as it
 * would without tracetape. Requests nobody else traces are left as they are.
 */
export function keepOneTraceHeader(request: UndiciRequest): void {
  const add = request.addHeader as AddHeader | undefined;
  if (typeof add !== 'function') return;
  // Where each header tracetape added sits in the request's [name, value, ...] list.
  const added = new Map<string, number>();
  request.addHeader = function addHeader(this: UndiciRequest, name: string, value: string) {
    const { headers } = this;
    const key = name.toLowerCase();
    const at = added.get(key);
    if (at !== undefined && Array.isArray(headers) && headers[at] === name) {
      headers[at + 1] = value;
      added.delete(key);
      return this;
    }
    const result = add.call(this, name, value);
    if (at === undefined && Array.isArray(headers)) added.set(key, headers.length - 2);
    return result;
  } as UndiciRequest['addHeader'];
}
