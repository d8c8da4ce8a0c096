import { canonicalJson, inputHash, TapeMatcher, type NormalizedRequest, type Tape, type TapeEntry } from '@tracetape/core';
import { call, makeEntry } from './tape-fixtures.js';

/** A database door's entry as the postgres and mysql doors record it: the verb, the server, `{ params, statement }`. */
export function sqlEntry(step: number, statement: string, options: { door?: 'postgres' | 'mysql'; sideEffect?: boolean } = {}): TapeEntry {
  const door = options.door ?? 'postgres';
  const normalized = sqlRequest(statement, door);
  return {
    step,
    kind: door,
    spanId: step.toString(16).padStart(16, '0'),
    spanName: normalized.method,
    startTime: new Date(Date.UTC(2030, 0, 1, 0, 0, step)).toISOString(),
    durationMs: 2,
    inputHash: inputHash(normalized),
    request: { normalized, headers: [] },
    response: { status: 200, statusText: `${normalized.method} 1`, headers: [], complete: true },
    sideEffect: options.sideEffect ?? true,
  };
}

export function sqlRequest(statement: string, door: 'postgres' | 'mysql' = 'postgres'): NormalizedRequest {
  const data = canonicalJson({ statement, params: [] });
  return {
    method: /^\s*(\w+)/.exec(statement)![1]!.toUpperCase(),
    url: door === 'postgres' ? 'postgres://db.test:5432/shop' : 'mysql://db.test:3306/shop',
    headers: {},
    body: { encoding: 'utf8', data, size: Buffer.byteLength(data) },
  };
}

/** An OpenAI chat call as the tape keeps it: a POST, marked as an LLM call. */
export function llmEntry(step: number): TapeEntry {
  return {
    ...makeEntry({ step, method: 'POST', url: 'https://api.openai.com/v1/chat/completions', body: '{"model":"gpt-4o","messages":[]}' }),
    llm: { provider: 'openai', operation: 'chat', requestModel: 'gpt-4o' },
  };
}

/** Replays calls against a tape through the real matcher and returns its report. */
export function replay(tape: Tape, calls: Array<{ method: string; url: string; body?: string; key?: string; sql?: string }>) {
  const matcher = new TapeMatcher(tape);
  for (const c of calls) {
    const [request, hash] = c.sql !== undefined ? withHash(sqlRequest(c.sql)) : call({ method: c.method, url: c.url, ...(c.body !== undefined ? { body: c.body } : {}) });
    try {
      matcher.take(request, hash, c.key !== undefined ? { idempotencyKey: c.key } : {});
    } catch {
      // Blocked: the report says so.
    }
  }
  return matcher.report();
}

function withHash(request: NormalizedRequest): readonly [NormalizedRequest, string] {
  return [request, inputHash(request)];
}
