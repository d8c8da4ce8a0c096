import { getJson } from './api-client.js';

// A GET started before the page has rendered (main.tsx starts the run's as the script loads),
// handed to the first hook that asks for the same URL.
const started = new Map<string, Promise<unknown>>();

export function prefetch<T>(url: string): Promise<T> {
  const promise = getJson<T>(url);
  // Nobody may ever take it (the page moved on); its failure is reported when it is taken.
  promise.catch(() => {});
  started.set(url, promise);
  return promise;
}

/** The prefetched answer to `url`, once: later asks fetch again. */
export function takePrefetched<T>(url: string): Promise<T> | undefined {
  const promise = started.get(url) as Promise<T> | undefined;
  started.delete(url);
  return promise;
}
