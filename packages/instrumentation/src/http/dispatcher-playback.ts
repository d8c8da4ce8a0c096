import type { RawRequest } from '@tracetape/core';
import type { HttpAnswerer, PlaybackRequest } from './http-answer.js';
import { servedResponse, type ServedResponse } from './playback-response.js';

/** Where undici (Node's own fetch, and the npm package) looks up the dispatcher of every call without its own. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** What undici hands a dispatcher: the call's head and its body. */
interface DispatchOptions {
  origin?: string | URL;
  path: string;
  method: string;
  headers?: Record<string, string | string[] | undefined> | string[] | null;
  body?: unknown;
  upgrade?: string | null;
}

/** The callbacks of undici's original dispatch handler: what Node's fetch passes. */
interface ResponseHandler {
  onConnect?(abort: (reason?: Error) => void): void;
  onResponseStarted?(): void;
  onHeaders?(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: Buffer[] | null): void;
  onError?(error: Error): void;
}

interface Dispatcher {
  dispatch(options: DispatchOptions, handler: ResponseHandler): boolean;
}

type GlobalWithDispatcher = typeof globalThis & { [GLOBAL_DISPATCHER]?: Dispatcher };

/**
 * Playback for fetch, at undici's dispatcher: the tape's answer goes straight to fetch's response
 * handler as status, headers and body chunks. At the socket the same call costs more than the
 * network it replaces (undici writes HTTP/1 bytes, the interceptor parses them back, then writes
 * the response as bytes for undici to parse again); here fetch itself still decodes, follows
 * redirects, aborts and fails (`TypeError: fetch failed`, the cause being the error) as live.
 * Calls the tape lets go out, upgrades (WebSocket) and handlers of another shape go on to the real
 * dispatcher, where the socket door still sees them. Returns the undo.
 */
export function attachDispatcherPlayback(answer: HttpAnswerer): () => void {
  const global = globalThis as GlobalWithDispatcher;
  preloadNodeFetch();
  const real = global[GLOBAL_DISPATCHER];
  if (!real || typeof real.dispatch !== 'function') return () => {};
  const dispatch = (options: DispatchOptions, handler: ResponseHandler): boolean => {
    if (options.upgrade || options.method === 'CONNECT' || !isResponseHandler(handler) || !isReadableBody(options.body)) {
      return real.dispatch(options, handler);
    }
    playBack(options, handler, answer, real);
    return true;
  };
  const door = new Proxy(real, {
    get(target, property) {
      if (property === 'dispatch') return dispatch;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  global[GLOBAL_DISPATCHER] = door;
  return () => {
    // An app that set its own dispatcher since keeps it.
    if (global[GLOBAL_DISPATCHER] === door) global[GLOBAL_DISPATCHER] = real;
  };
}

/**
 * Loads Node's fetch, which sets the global dispatcher the door wraps: Node does so on the first
 * call, and a `data:` URL is the one call that needs no dispatcher. It takes tens of milliseconds,
 * so the hook calls this while it waits for the tape, off the replay's path to the app.
 */
export function preloadNodeFetch(): void {
  if ((globalThis as GlobalWithDispatcher)[GLOBAL_DISPATCHER] || typeof globalThis.fetch !== 'function') return;
  globalThis.fetch('data:,').catch(() => {});
}

function isResponseHandler(handler: ResponseHandler): handler is Required<ResponseHandler> {
  return typeof handler.onHeaders === 'function' && typeof handler.onData === 'function' && typeof handler.onComplete === 'function' && typeof handler.onError === 'function';
}

function playBack(options: DispatchOptions, handler: Required<ResponseHandler>, answer: HttpAnswerer, real: Dispatcher): void {
  const aborted = new AbortController();
  // Asking the tape, handing its answer over, or done: a done call's handler hears nothing more from here.
  let state: 'asking' | 'serving' | 'done' = 'asking';
  const fail = (error: unknown): void => {
    if (state === 'done') return;
    state = 'done';
    handler.onError(error instanceof Error ? error : new Error(String(error)));
  };
  // fetch hands over its abort as the connection opens: the app's signal, or the body's consumer gone.
  handler.onConnect?.((reason) => {
    if (state === 'done' || aborted.signal.aborted) return;
    const error = reason ?? new DOMException('The operation was aborted.', 'AbortError');
    aborted.abort(error);
    fail(error);
  });
  const request = dispatchedRequest(options, aborted.signal);
  const play = async (): Promise<void> => {
    const answered = await answer(request);
    if (state !== 'asking') return;
    if (answered.kind === 'fail') return fail(answered.error);
    if (answered.kind === 'pass') {
      state = 'done';
      real.dispatch(request.forwarded(), handler);
      return;
    }
    state = 'serving';
    await serve(servedResponse(answered.response), handler, aborted.signal);
    state = 'done';
  };
  play().catch(fail);
}

/** The dispatched call as the answerer reads it; its body is read once, and forwarded as bytes if it goes on. */
function dispatchedRequest(options: DispatchOptions, signal: AbortSignal): PlaybackRequest & { forwarded(): DispatchOptions } {
  const url = urlOf(options);
  const headers = headerPairs(options.headers);
  // undici writes the Host header itself, so a caller's headers lack it: add it as it would go out.
  if (headerValue(headers, 'host') === null) headers.push(['host', new URL(url).host]);
  let body: Uint8Array | undefined;
  return {
    method: options.method,
    url,
    header: (name) => headerValue(headers, name),
    signal,
    async read(): Promise<RawRequest> {
      body ??= await readBody(options.body);
      const raw: RawRequest = { method: options.method, url, headers };
      if (body.byteLength > 0 && options.method !== 'GET' && options.method !== 'HEAD') raw.body = body;
      return raw;
    },
    forwarded: () => (body ? { ...options, body } : options),
  };
}

/** Hands a response to the handler as undici would, honouring its back-pressure. */
async function serve(response: ServedResponse, handler: Required<ResponseHandler>, signal: AbortSignal): Promise<void> {
  let resumes = 0;
  let wake: (() => void) | undefined;
  const resume = (): void => {
    resumes += 1;
    wake?.();
    wake = undefined;
  };
  // An abort wakes a paused stream too, so it ends instead of waiting for a resume that never comes.
  signal.addEventListener('abort', resume, { once: true });
  const untilResumed = (before: number): Promise<void> | undefined =>
    resumes === before && !signal.aborted ? new Promise<void>((resolve) => (wake = resolve)) : undefined;

  handler.onResponseStarted?.();
  const rawHeaders: Buffer[] = [];
  for (const [name, value] of response.headers) rawHeaders.push(Buffer.from(name, 'latin1'), Buffer.from(value, 'latin1'));
  let before = resumes;
  if (handler.onHeaders(response.status, rawHeaders, resume, response.statusText) === false) await untilResumed(before);
  for (const chunk of response.chunks ?? []) {
    if (signal.aborted) return;
    if (chunk.byteLength === 0) continue;
    before = resumes;
    if (handler.onData(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)) === false) await untilResumed(before);
    // One event-loop turn per chunk of a stream, so the client sees each chunk on its own.
    if (response.streamed) await new Promise((resolve) => setImmediate(resolve));
  }
  if (!signal.aborted) handler.onComplete([]);
}

function urlOf(options: DispatchOptions): string {
  const origin = String(options.origin ?? '');
  return origin.endsWith('/') && options.path.startsWith('/') ? origin + options.path.slice(1) : origin + options.path;
}

/** undici takes headers as a record (a value may be a list) or as a flat [name, value, …] array. */
function headerPairs(headers: DispatchOptions['headers']): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (!headers) return pairs;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([String(headers[i]), String(headers[i + 1])]);
    return pairs;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) pairs.push([name, one]);
    else pairs.push([name, value]);
  }
  return pairs;
}

function headerValue(headers: ReadonlyArray<readonly [string, string]>, name: string): string | null {
  const values = headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);
  return values.length > 0 ? values.join(', ') : null;
}

type ReadableBody = null | undefined | string | Uint8Array | AsyncIterable<Uint8Array | string>;

/** fetch hands its body over as an async iterable of bytes; other callers may pass a string or bytes. */
function isReadableBody(body: unknown): body is ReadableBody {
  return (
    body === null ||
    body === undefined ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    (typeof body === 'object' && Symbol.asyncIterator in body)
  );
}

async function readBody(body: unknown): Promise<Uint8Array> {
  const readable = body as ReadableBody;
  if (readable === null || readable === undefined) return new Uint8Array();
  if (typeof readable === 'string') return Buffer.from(readable);
  if (readable instanceof Uint8Array) return readable;
  const parts: Uint8Array[] = [];
  for await (const part of readable) parts.push(typeof part === 'string' ? Buffer.from(part) : part);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
