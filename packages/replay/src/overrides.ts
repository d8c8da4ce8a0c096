import fs from 'node:fs';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import { encodeBody, TracetapeError, type RecordedResponse, type ResponseChunk, type Tape, type TapeEntry } from '@tracetape/core';
import { parseStepNumber, requireStepOnTape } from './step-args.js';

/** `--override <step>=<file>`: the response to serve for one step instead of the recorded one. */
export interface ResponseOverride {
  step: number;
  /** The file it came from, as given (kept on the tape entry and named in the report). */
  source: string;
  status?: number;
  statusText?: string;
  /** Replace recorded headers of the same name (case-insensitive); others are kept. */
  headers?: Array<[string, string]>;
  /** The new body; absent: the recorded body stays. */
  body?: Uint8Array;
  /** Explicit chunks for a streamed step (an envelope's "chunks"). */
  chunks?: string[];
}

export class OverrideError extends TracetapeError {
  constructor(message: string) {
    super('TRACETAPE_BAD_OVERRIDE', message);
  }
}

/** Keys of the JSON envelope; a JSON object with any other key is a raw body (e.g. a chat completion). */
const ENVELOPE_KEYS = new Set(['status', 'statusText', 'headers', 'body', 'chunks']);

/** Reads `<step>=<file>`, loading and checking the file. Nothing is run with a bad override. */
export function loadOverride(argument: string): ResponseOverride {
  const at = argument.indexOf('=');
  if (at <= 0 || at === argument.length - 1) {
    throw new OverrideError(`--override needs <step>=<file>, e.g. --override 2=answer.json, not "${argument}".`);
  }
  const step = parseStepNumber(argument.slice(0, at), '--override');
  const source = argument.slice(at + 1);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(source);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new OverrideError(`--override ${step}=${source}: cannot read ${path.resolve(source)} (${reason}).`);
  }
  if (path.extname(source).toLowerCase() !== '.json') return { step, source, body: bytes };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new OverrideError(
      `--override ${step}=${source}: the file is not valid JSON (${(error as Error).message}). Fix it, or give the body a non-.json name to serve it as it is.`,
    );
  }
  if (!isEnvelope(value)) return { step, source, body: bytes };
  return { step, source, ...envelopeFields(value, `--override ${step}=${source}`) };
}

/**
 * The tape with each override's step answered by the override. Pure: the input tape is not
 * touched. Every override must name a step the tape holds, once.
 */
export function applyOverrides(tape: Tape, overrides: readonly ResponseOverride[]): Tape {
  const byStep = new Map<number, ResponseOverride>();
  for (const override of overrides) {
    requireStepOnTape(tape, override.step, `--override ${override.step}=${override.source}`);
    if (byStep.has(override.step)) {
      throw new OverrideError(`--override: step ${override.step} is overridden twice (${byStep.get(override.step)!.source} and ${override.source}); give one file per step.`);
    }
    byStep.set(override.step, override);
  }
  if (byStep.size === 0) return tape;
  return {
    ...tape,
    entries: tape.entries.map((entry) => {
      const override = byStep.get(entry.step);
      return override ? overrideEntry(entry, override) : entry;
    }),
  };
}

function overrideEntry(entry: TapeEntry, override: ResponseOverride): TapeEntry {
  const recorded = entry.response;
  const status = override.status ?? (recorded.status === 0 ? 200 : recorded.status);
  const statusText = override.statusText ?? (override.status !== undefined || recorded.status === 0 ? (STATUS_CODES[status] ?? '') : recorded.statusText);
  const replaced = new Set((override.headers ?? []).map(([name]) => name.toLowerCase()));
  const headers = [...recorded.headers.filter(([name]) => !replaced.has(name.toLowerCase())), ...(override.headers ?? [])];
  const response: RecordedResponse = { status, statusText, headers, complete: true };
  if (override.chunks) {
    response.chunks = override.chunks.map((text) => ({ offsetMs: 0, body: encodeBody(Buffer.from(text, 'utf8')) }));
  } else if (override.body) {
    if (recorded.chunks) response.chunks = splitStream(Buffer.from(override.body).toString('utf8'), contentTypeOf(headers));
    else response.body = encodeBody(override.body);
  } else {
    // Status or headers only: the recorded body, as recorded (with its content-encoding).
    copyBody(recorded, response);
  }
  return { ...entry, response, override: { source: override.source } };
}

function copyBody(from: RecordedResponse, to: RecordedResponse): void {
  if (from.body) to.body = from.body;
  if (from.chunks) to.chunks = from.chunks;
  if (from.contentEncoding) to.contentEncoding = from.contentEncoding;
  if (from.bodyStillEncoded) to.bodyStillEncoded = from.bodyStillEncoded;
  if (from.truncated) to.truncated = from.truncated;
  to.complete = from.complete;
}

/**
 * A raw override for a streamed step, cut where the protocol cuts: server-sent events after each
 * blank line, NDJSON after each line. Each piece is delivered as its own chunk, like the recording.
 */
export function splitStream(text: string, contentType: string): ResponseChunk[] {
  const separator = /ndjson|jsonl/i.test(contentType) ? /\n/g : /\r?\n\r?\n/g;
  const pieces: string[] = [];
  let start = 0;
  for (const match of text.matchAll(separator)) {
    const end = match.index + match[0].length;
    pieces.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces.map((piece) => ({ offsetMs: 0, body: encodeBody(Buffer.from(piece, 'utf8')) }));
}

function contentTypeOf(headers: Array<[string, string]>): string {
  return headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
}

function isEnvelope(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => ENVELOPE_KEYS.has(key)) && keys.some((key) => key === 'body' || key === 'status' || key === 'chunks');
}

function envelopeFields(value: Record<string, unknown>, where: string): Omit<ResponseOverride, 'step' | 'source'> {
  const fields: Omit<ResponseOverride, 'step' | 'source'> = {};
  const { status, statusText, headers, body, chunks } = value;
  if (status !== undefined) {
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      throw new OverrideError(`${where}: "status" must be an HTTP status code (100 to 599), not ${JSON.stringify(status)}.`);
    }
    fields.status = status;
  }
  if (statusText !== undefined) {
    if (typeof statusText !== 'string') throw new OverrideError(`${where}: "statusText" must be a string.`);
    fields.statusText = statusText;
  }
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
      throw new OverrideError(`${where}: "headers" must be an object of header names to string values, e.g. {"content-type": "application/json"}.`);
    }
    fields.headers = Object.entries(headers as Record<string, string>);
  }
  if (body !== undefined) {
    // A JSON value is served as its JSON text, so a JSON body can be written as JSON.
    fields.body = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  }
  if (chunks !== undefined) {
    if (!Array.isArray(chunks) || chunks.some((chunk) => typeof chunk !== 'string')) {
      throw new OverrideError(`${where}: "chunks" must be an array of strings, each served as one chunk of a streamed response.`);
    }
    if (body !== undefined) throw new OverrideError(`${where}: give "body" or "chunks", not both.`);
    fields.chunks = chunks as string[];
  }
  return fields;
}
