import {
  encodeBody,
  inputHash,
  normalizeRequest,
  TAPE_FORMAT,
  TAPE_VERSION,
  type RawRequest,
  type RecordedResponse,
  type Tape,
  type TapeEntry,
} from '@tracetape/core';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

export interface EntrySpec {
  step: number;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  status?: number;
  responseBody?: string;
  response?: Partial<RecordedResponse>;
}

export function rawRequest(spec: Pick<EntrySpec, 'method' | 'url' | 'headers' | 'body'>): RawRequest {
  const headers = spec.headers ?? (spec.body !== undefined ? { 'content-type': 'application/json' } : {});
  const raw: RawRequest = { method: spec.method, url: spec.url, headers: Object.entries(headers) };
  if (spec.body !== undefined) raw.body = typeof spec.body === 'string' ? Buffer.from(spec.body) : spec.body;
  return raw;
}

export function makeEntry(spec: EntrySpec): TapeEntry {
  const raw = rawRequest(spec);
  const normalized = normalizeRequest(raw);
  const response: RecordedResponse = {
    status: spec.status ?? 200,
    statusText: 'OK',
    headers: [['content-type', 'application/json']],
    body: encodeBody(Buffer.from(spec.responseBody ?? `{"step":${spec.step}}`)),
    complete: true,
    ...spec.response,
  };
  return {
    step: spec.step,
    kind: 'http',
    spanId: spec.step.toString(16).padStart(16, '0'),
    spanName: spec.method,
    startTime: new Date(Date.UTC(2030, 0, 1, 0, 0, spec.step)).toISOString(),
    durationMs: 5,
    inputHash: inputHash(normalized),
    request: { normalized, headers: [...raw.headers] },
    response,
  };
}

export function makeTape(entries: TapeEntry[]): Tape {
  return {
    format: TAPE_FORMAT,
    version: TAPE_VERSION,
    traceId: TRACE_ID,
    serviceName: 'svc',
    rootName: 'agent run',
    recordedAt: '2030-01-01T00:00:00.000Z',
    entries,
  };
}

/** What the code under replay sends now: normalised and hashed the same way capture did. */
export function call(spec: Pick<EntrySpec, 'method' | 'url' | 'headers' | 'body'>) {
  const normalized = normalizeRequest(rawRequest(spec));
  return [normalized, inputHash(normalized)] as const;
}
