import type { ApiError } from '../src/api.js';

/** An answer the page cannot use, with the server's own message when it sent one. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiFailure(`Cannot reach the tracetape ui server (${(error as Error).message}). Is \`tracetape ui\` still running?`, 'network', 0);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
    throw new ApiFailure(`${url} answered ${response.status} ${response.statusText} with a body that is not JSON.`, 'bad_response', response.status);
  }
  if (!response.ok) {
    if (isApiError(body)) throw new ApiFailure(body.error.message, body.error.code, response.status);
    throw new ApiFailure(`${url} answered ${response.status} ${response.statusText}.`, 'http_error', response.status);
  }
  return body as T;
}

const enc = encodeURIComponent;

export const api = {
  runs: (query: URLSearchParams) => `/api/runs${query.size > 0 ? `?${query.toString()}` : ''}`,
  run: (traceId: string) => `/api/runs/${enc(traceId)}`,
  step: (traceId: string, step: number) => `/api/runs/${enc(traceId)}/steps/${step}`,
  replay: (replayTraceId: string) => `/api/replays/${enc(replayTraceId)}`,
  compare: (a: string, b: string) => `/api/compare?${new URLSearchParams({ a, b }).toString()}`,
  inventory: (query: URLSearchParams) => `/api/inventory${query.size > 0 ? `?${query.toString()}` : ''}`,
};

