import { useEffect, useRef, useState } from 'preact/hooks';
import type { StepDetail } from '../src/api.js';
import { api, getJson } from './api-client.js';
import { takePrefetched } from './prefetch.js';

// Enough to scrub back and forth around a step without asking again; small, since bodies can be large.
const CACHE_SIZE = 24;
// Holding an arrow key or dragging the scrubber passes many steps; only the one it rests on is fetched.
const SETTLE_MS = 60;

const cache = new Map<string, StepDetail>();

function remember(key: string, detail: StepDetail): void {
  cache.delete(key);
  cache.set(key, detail);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
}

export interface StepDetailState {
  /** The last detail that arrived: the wanted step's, or the previous one's while it loads. */
  detail?: StepDetail;
  error?: Error;
  loading: boolean;
}

export function useStepDetail(traceId: string, step: number | undefined): StepDetailState {
  const [state, setState] = useState<StepDetailState>({ loading: step !== undefined });
  // The step shown when the panel opens is asked for at once: only moves away from it settle.
  const opened = useRef(false);
  useEffect(() => {
    if (step === undefined) return;
    const first = !opened.current;
    opened.current = true;
    const key = `${traceId}/${step}`;
    const cached = cache.get(key);
    if (cached) {
      remember(key, cached);
      setState({ detail: cached, loading: false });
      return;
    }
    // Already loading: the same state, so scrubbing past uncached steps renders nothing here.
    setState((previous) => (previous.loading && previous.error === undefined ? previous : { detail: previous.detail, loading: true }));
    const controller = new AbortController();
    const url = api.step(traceId, step);
    const prefetched = takePrefetched<StepDetail>(url);
    const delay = prefetched || first ? 0 : SETTLE_MS;
    const load = (): void => {
      (prefetched ?? getJson<StepDetail>(url, controller.signal)).then(
        (detail) => {
          remember(key, detail);
          if (!controller.signal.aborted) setState({ detail, loading: false });
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setState((previous) => ({ detail: previous.detail, error: error as Error, loading: false }));
        },
      );
    };
    const timer = delay === 0 ? undefined : setTimeout(load, delay);
    if (delay === 0) load();
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [traceId, step]);
  return state;
}
