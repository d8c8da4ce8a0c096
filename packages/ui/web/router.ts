import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'runs'; query: URLSearchParams }
  | { page: 'run'; traceId: string; step?: number }
  | { page: 'replay'; replayTraceId: string }
  | { page: 'compare'; a: string; b: string }
  | { page: 'inventory'; query: URLSearchParams }
  | { page: 'not-found'; path: string };

/** Pure, so the URL scheme can be tested without a browser. */
export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  const parts = pathname.split('/').filter((part) => part !== '').map(safeDecode);
  if (parts.length === 0) return { page: 'runs', query };
  if (parts[0] === 'runs' && parts.length === 2) return { page: 'run', traceId: parts[1]! };
  if (parts[0] === 'runs' && parts.length === 4 && parts[2] === 'steps') {
    const step = Number(parts[3]);
    if (Number.isInteger(step) && step >= 1) return { page: 'run', traceId: parts[1]!, step };
  }
  if (parts[0] === 'replays' && parts.length === 2) return { page: 'replay', replayTraceId: parts[1]! };
  if (parts[0] === 'compare' && parts.length === 1) return { page: 'compare', a: query.get('a') ?? '', b: query.get('b') ?? '' };
  if (parts[0] === 'inventory' && parts.length === 1) return { page: 'inventory', query };
  return { page: 'not-found', path: pathname };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export const runPath = (traceId: string, step?: number): string =>
  `/runs/${encodeURIComponent(traceId)}${step === undefined ? '' : `/steps/${step}`}`;
export const replayPath = (replayTraceId: string): string => `/replays/${encodeURIComponent(replayTraceId)}`;
export const comparePath = (a: string, b: string): string => `/compare?${new URLSearchParams({ a, b }).toString()}`;

// pushState fires no event of its own; the app listens for this one as it does for popstate.
const NAVIGATED = 'tracetape:navigated';

export function navigate(url: string): void {
  if (url === location.pathname + location.search) return;
  history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATED));
  window.scrollTo(0, 0);
}

/**
 * Rewrites the address without a new history entry and without re-rendering the app: the page
 * that calls it already shows what the new URL names (a selected step, the list's filters).
 */
export function replaceUrl(url: string): void {
  if (url !== location.pathname + location.search) history.replaceState(null, '', url);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.search));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location.pathname, location.search));
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return route;
}

/** Same-origin links navigate in place, so back and forward work without reloading the page. */
export function interceptLinks(root: Document): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = event.target instanceof Element ? event.target.closest('a') : null;
    if (!anchor || !anchor.href || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/assets/') || url.pathname.startsWith('/api/')) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}
