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
  const left = flattenRequest(recorded);
  const right = flattenRequest(current);
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
    out.set('url.origin', url.origin);
    out.set('url.path', url.pathname);
    for (const [key, value] of url.searchParams) out.set(`url.query.${key}`, value);
  } catch {
    out.set('url', request.url);
  }
  for (const [name, value] of Object.entries(request.headers)) out.set(`headers.${name}`, value);
  const body = request.body;
  if (body) {
    if (body.encoding === 'base64') {
      out.set('body', `<${body.size} bytes of binary>`);
    } else {
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
  }
  return out;
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
