import { decodeBody, type EncodedBody } from '../body.js';
import type { NormalizedRequest, RecordedResponse } from '../tape.js';

/** A JSON object as read from a payload; every field is unknown until checked. */
export type JsonObject = Record<string, unknown>;

/** What the provider shapes look at in a request: enough to tell the API apart without re-parsing. */
export interface LlmRequestView {
  method: string;
  url: URL;
  /** The parsed JSON body; LLM APIs only ever take JSON objects. */
  body: JsonObject;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function stringField(object: unknown, key: string): string | undefined {
  if (!isJsonObject(object)) return undefined;
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function countField(object: unknown, key: string): number | undefined {
  if (!isJsonObject(object)) return undefined;
  const value = object[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Sum of the counts that are present; undefined when none is. */
export function sumCounts(...counts: Array<number | undefined>): number | undefined {
  const present = counts.filter((count): count is number => count !== undefined);
  return present.length === 0 ? undefined : present.reduce((sum, count) => sum + count, 0);
}

/** The request as a view, or undefined when it cannot be an LLM API call (not a POST of a JSON object). */
export function viewRequest(request: NormalizedRequest): LlmRequestView | undefined {
  if (request.method !== 'POST' || !request.body) return undefined;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return undefined;
  }
  const body = parseJson(bodyText(request.body));
  return isJsonObject(body) ? { method: request.method, url, body } : undefined;
}

function bodyText(body: EncodedBody): string {
  return body.encoding === 'utf8' ? body.data : Buffer.from(decodeBody(body)).toString('utf8');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The whole response body as text: the body, or the chunks of a streamed response joined up. */
export function responseText(response: RecordedResponse): string | undefined {
  if (response.bodyStillEncoded) return undefined;
  if (response.chunks) return response.chunks.map((chunk) => bodyText(chunk.body)).join('');
  return response.body ? bodyText(response.body) : undefined;
}

/** The JSON body of a response that answered (2xx); error answers carry no model or usage. */
export function responseJson(response: RecordedResponse): unknown {
  if (response.status < 200 || response.status >= 300) return undefined;
  const text = responseText(response);
  return text === undefined ? undefined : parseJson(text);
}

export interface SseEvent {
  /** The `event:` field, when the stream names its events (Anthropic does, OpenAI does not). */
  event?: string;
  /** The `data:` payload parsed as JSON; events whose data is not JSON (`[DONE]`) are left out. */
  data: unknown;
}

/**
 * The events of a server-sent event stream. Chunk boundaries fall anywhere (mid-line, mid-event),
 * so the chunks are joined before splitting on the blank lines that end events.
 */
export function sseEvents(response: RecordedResponse): SseEvent[] {
  if (response.status < 200 || response.status >= 300) return [];
  const text = responseText(response);
  if (text === undefined) return [];
  const events: SseEvent[] = [];
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n\n+/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) continue;
    const parsed = parseJson(data.join('\n'));
    if (parsed === undefined) continue;
    events.push(event === undefined ? { data: parsed } : { event, data: parsed });
  }
  return events;
}

/** The path with any trailing slash dropped, so `/v1/messages/` and `/v1/messages` read alike. */
export function pathOf(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}

/** A copy of `object` without `keys`: what is left when the tuning fields are taken out. */
export function omitKeys(object: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(object)) if (!keys.includes(key)) out[key] = value;
  return out;
}
