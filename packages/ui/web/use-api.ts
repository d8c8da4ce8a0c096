import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api-client.js';
import { takePrefetched } from './prefetch.js';

export interface ApiState<T> {
  data?: T;
  error?: Error;
  loading: boolean;
}

/** GETs `url` whenever it changes (or takes its prefetched answer); an answer to a URL no longer wanted is dropped. */
export function useApi<T>(url: string | null): ApiState<T> {
  const [state, setState] = useState<ApiState<T>>({ loading: url !== null });
  useEffect(() => {
    if (url === null) {
      setState({ loading: false });
      return;
    }
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    (takePrefetched<T>(url) ?? getJson<T>(url, controller.signal)).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false });
      },
    );
    return () => controller.abort();
  }, [url]);
  return state;
}
