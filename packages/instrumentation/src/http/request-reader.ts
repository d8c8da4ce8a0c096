import type { RawRequest } from '@tracetape/core';

/** Reads an intercepted request into plain values; the body is read from a clone so the original still goes out. */
export async function readRequest(request: Request): Promise<RawRequest> {
  const raw: RawRequest = { method: request.method, url: request.url, headers: [...request.headers] };
  if (request.body && request.method !== 'GET' && request.method !== 'HEAD') {
    raw.body = new Uint8Array(await request.clone().arrayBuffer());
  }
  return raw;
}
