import { originOf } from './url-origin.js';
import type { EncodedBody } from './body.js';
import type { NormalizedRequest } from './tape.js';

/** One field that differs between a recorded and a current request; a missing side is undefined. */
export interface FieldDiff {
  path: string;
  recorded?: string;
  current?: string;
}

const MAX_VALUE_CHARS = 160;

/** Field-level differences, with JSON bodies compared path by path (`body.messages[1].content`). */
export function diffRequests(recorded: NormalizedRequest, current: NormalizedRequest): FieldDiff[] {
  return diffFlattened(flattenRequest(recorded), flattenRequest(current));
}

/** What of a response is compared when a replayed server answers its recorded request again. */
export interface ComparableResponse {
  status: number;
  /** Canonical body (JSON with sorted keys), decoded from any content-encoding. */
  body?: EncodedBody | undefined;
}

/** Field-level differences of two responses: `status`, then the body (JSON path by path, `body.answer`). */
export function diffResponses(recorded: ComparableResponse, current: ComparableResponse): FieldDiff[] {
  const flatten = (response: ComparableResponse): Map<string, string> => {
    const out = new Map<string, string>([['status', String(response.status)]]);
    if (response.body && response.body.size > 0) flattenBody(response.body, out);
    return out;
  };
  const diffs = diffFlattened(flatten(recorded), flatten(current));
  // Binary bodies of equal size flatten alike; bytes that differ must still show up.
  const a = recorded.body;
  const b = current.body;
  const bodyDiffers = a && b && (a.encoding !== b.encoding || a.data !== b.data);
  if (bodyDiffers && !diffs.some((d) => /^body($|[.[])/.test(d.path))) {
    diffs.push({ path: 'body', recorded: `<${a.size} bytes>`, current: `<${b.size} bytes, different content>` });
  }
  return diffs;
}

function diffFlattened(left: Map<string, string>, right: Map<string, string>): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  for (const path of new Set([...left.keys(), ...right.keys()])) {
    const a = left.get(path);
    const b = right.get(path);
    if (a === b) continue;
    const diff: FieldDiff = { path };
    if (a !== undefined) diff.recorded = clip(a);
    if (b !== undefined) diff.current = clip(b);
    diffs.push(diff);
  }
  return diffs;
}

function flattenRequest(request: NormalizedRequest): Map<string, string> {
  const out = new Map<string, string>();
  out.set('method', request.method);
  try {
    const url = new URL(request.url);
    out.set('url.origin', originOf(url));
    out.set('url.path', url.pathname);
    for (const [key, value] of url.searchParams) out.set(`url.query.${key}`, value);
  } catch {
    out.set('url', request.url);
  }
  for (const [name, value] of Object.entries(request.headers)) out.set(`headers.${name}`, value);
  if (request.body) flattenBody(request.body, out);
  return out;
}

function flattenBody(body: EncodedBody, out: Map<string, string>): void {
  if (body.encoding === 'base64') {
    out.set('body', `<${body.size} bytes of binary>`);
    return;
  }
  let parsed: unknown;
  let isJson = false;
  try {
    parsed = JSON.parse(body.data);
    isJson = true;
  } catch {
    // plain text body
  }
  if (isJson) flattenValue(parsed, 'body', out);
  else out.set('body', JSON.stringify(body.data));
}

function flattenValue(value: unknown, path: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, '[]');
    value.forEach((item, index) => flattenValue(item, `${path}[${index}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) out.set(path, '{}');
    for (const key of keys) flattenValue((value as Record<string, unknown>)[key], `${path}.${key}`, out);
  } else {
    out.set(path, JSON.stringify(value));
  }
}

function clip(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** Recorded and current values side by side, one row per differing field. */
export function renderDiffTable(diffs: FieldDiff[]): string {
  const rows = diffs.map((d) => [d.path, d.recorded ?? '(absent)', d.current ?? '(absent)'] as const);
  const header = ['field', 'recorded', 'current'] as const;
  const widths = [0, 1, 2].map((i) => Math.min(60, Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: readonly string[]) =>
    '  ' + cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
