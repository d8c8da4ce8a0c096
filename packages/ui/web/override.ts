import type { ShownBody, StepDetail } from '../src/api.js';

/** Single-quoted for a POSIX shell unless every character is one a shell leaves alone. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:=@-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function overrideFileName(step: number): string {
  return `step-${step}.json`;
}

/** The command that replays the run with step `step` answered from the downloaded file. */
export function overrideCommand(traceId: string, step: number, command: readonly string[] | undefined): string {
  const tail = command && command.length > 0 ? command.map(shellQuote).join(' ') : '<your command>';
  return `tracetape replay ${shellQuote(traceId)} --override ${step}=${overrideFileName(step)} -- ${tail}`;
}

function bodyValue(body: ShownBody | undefined): unknown {
  if (!body) return undefined;
  if (body.kind === 'json') return body.value;
  if (body.kind === 'text') return body.text;
  // Bytes cannot be written as JSON text; without "body" the replay keeps the recorded bytes.
  return undefined;
}

/**
 * The `--override` envelope prefilled with what the step answered, for the person to edit.
 * A streamed answer becomes one body: the replay cuts it into chunks again the way the protocol does.
 */
export function overrideEnvelope(detail: StepDetail): string {
  const headers: Record<string, string> = {};
  for (const [name, value] of detail.response.headers) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  const { chunks } = detail.response;
  let body = bodyValue(detail.response.body);
  if (body === undefined && chunks && chunks.length > 0 && chunks.every((chunk) => chunk.body.kind === 'text')) {
    body = chunks.map((chunk) => (chunk.body.kind === 'text' ? chunk.body.text : '')).join('');
  }
  // A call that failed before any answer has status 0, which the replay refuses; 200 is what one edits from.
  const status = detail.response.status >= 100 && detail.response.status <= 599 ? detail.response.status : 200;
  const envelope: Record<string, unknown> = { status, headers };
  if (body !== undefined) envelope.body = body;
  return JSON.stringify(envelope, null, 2);
}

/** What `tracetape replay --override` would say of the text, checked before the person downloads it. */
export function validateEnvelope(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `Not valid JSON: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'The override must be a JSON object: {"status": …, "headers": {…}, "body": …}.';
  const { status, statusText, headers, chunks, body } = value as Record<string, unknown>;
  if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)) {
    return '"status" must be an HTTP status code (100 to 599).';
  }
  if (statusText !== undefined && typeof statusText !== 'string') return '"statusText" must be a string.';
  if (headers !== undefined && (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string'))) {
    return '"headers" must be an object of header names to string values.';
  }
  if (chunks !== undefined) {
    if (!Array.isArray(chunks) || chunks.some((chunk) => typeof chunk !== 'string')) return '"chunks" must be an array of strings.';
    if (body !== undefined) return 'Give "body" or "chunks", not both.';
  }
  return undefined;
}
