import { useEffect, useRef, useState } from 'preact/hooks';
import { replaceUrl } from './router.js';

/** How long typing in a filter waits for a pause before the page asks the server again. */
const TYPING_DELAY_MS = 300;

/**
 * A page's filters as typed, and as applied: the query string the page fetches with and keeps in
 * its address (`path?query`). A change applies at once; typing (`typing = true`) applies after a pause.
 */
export function usePageFilters<F>(
  query: URLSearchParams,
  path: string,
  fromQuery: (query: URLSearchParams) => F,
  toQuery: (filters: F) => URLSearchParams,
): { filters: F; applied: string; update(patch: Partial<F>, typing?: boolean): void } {
  const [filters, setFilters] = useState<F>(() => fromQuery(query));
  const [applied, setApplied] = useState(() => toQuery(fromQuery(query)).toString());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useEffect(() => replaceUrl(applied ? `${path}?${applied}` : path), [applied]);
  const update = (patch: Partial<F>, typing = false): void => {
    const next = { ...filters, ...patch };
    setFilters(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setApplied(toQuery(next).toString()), typing ? TYPING_DELAY_MS : 0);
  };
  return { filters, applied, update };
}
