import { inputHash, normalizeRequest, TAPE_FORMAT, TAPE_VERSION, type RecordedResponse, type Tape, type TapeEntry } from '@tracetape/core';

/** Tapes for playback tests, written by hand: what the store would have built from a recording. */

const RECORDED_AT_MS = Date.UTC(2030, 0, 1);

/**
 * One recorded HTTP call: a 200 with no headers unless `response` says otherwise. `startMs` (from
 * the tape's start) and `durationMs` set when it ran, which the completion order reads.
 */
export function httpTapeEntry(
  step: number,
  request: { method: string; url: string; headers?: Array<[string, string]>; body?: string | Buffer },
  response: Partial<RecordedResponse> = {},
  timing: { startMs?: number; durationMs?: number } = {},
): TapeEntry {
  const headers = request.headers ?? [];
  const normalized = normalizeRequest({
    method: request.method,
    url: request.url,
    headers,
    body: request.body === undefined ? undefined : Buffer.from(request.body),
  });
  return {
    step,
    kind: 'http',
    spanId: step.toString(16).padStart(16, '0'),
    spanName: request.method,
    startTime: new Date(RECORDED_AT_MS + (timing.startMs ?? 0)).toISOString(),
    durationMs: timing.durationMs ?? 1,
    inputHash: inputHash(normalized),
    request: { normalized, headers },
    response: { status: 200, statusText: 'OK', headers: [], complete: true, ...response },
  };
}

/** A tape of one process's recorded calls. */
export function tapeOf(entries: TapeEntry[]): Tape {
  return {
    format: TAPE_FORMAT,
    version: TAPE_VERSION,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    serviceName: 'svc',
    rootName: 'run',
    recordedAt: new Date(RECORDED_AT_MS).toISOString(),
    entries,
  };
}
