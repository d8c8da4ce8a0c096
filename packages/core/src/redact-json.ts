import { RedactionConfigError } from './errors.js';

/**
 * One step of a body path. The syntax is a small subset of JSONPath:
 *   `$`            the body itself
 *   `.name`        a member (letters, digits, `_`, `-`)
 *   `['name']`     a member whose name has other characters
 *   `[3]`          an array element
 *   `[*]` or `.*`  every element of an array, or every member of an object
 * e.g. `$.password`, `$.card.number`, `$.messages[*].api_key`, `$['x-key']`.
 */
export type JsonPathStep = { kind: 'member'; name: string } | { kind: 'index'; index: number } | { kind: 'all' };

export type JsonPath = readonly JsonPathStep[];

const SETTING = 'TRACETAPE_REDACT_BODY_PATHS';

/** parseJsonExact keeps big integers as frozen JSON.rawJSON objects: they are numbers, not containers. */
const isRawJson = (JSON as unknown as { isRawJSON(value: unknown): boolean }).isRawJSON;

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !isRawJson(value);
}

export function parseJsonPath(path: string): JsonPath {
  const text = path.trim();
  if (!text.startsWith('$')) throw new RedactionConfigError(SETTING, path, 'must start with "$" (for example $.password)');
  const steps: JsonPathStep[] = [];
  let i = 1;
  while (i < text.length) {
    const rest = text.slice(i);
    let match: RegExpExecArray | null;
    if ((match = /^\.([A-Za-z0-9_-]+)/.exec(rest))) steps.push({ kind: 'member', name: match[1]! });
    else if ((match = /^(?:\.\*|\[\*\])/.exec(rest))) steps.push({ kind: 'all' });
    else if ((match = /^\[(\d+)\]/.exec(rest))) steps.push({ kind: 'index', index: Number(match[1]) });
    else if ((match = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest)) || (match = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest)))
      steps.push({ kind: 'member', name: match[1]!.replace(/\\(.)/g, '$1') });
    else throw new RedactionConfigError(SETTING, path, `cannot be read at "${rest}" (use .name, ['name'], [n] or [*])`);
    i += match[0].length;
  }
  if (steps.length === 0) throw new RedactionConfigError(SETTING, path, 'names the whole body; name a field inside it');
  return steps;
}

/**
 * Replaces the values at `path` inside `value` (mutating it) with `placeholder`; objects and
 * arrays at the path are replaced whole. Returns how many values were replaced.
 */
export function redactJsonPath(value: unknown, path: JsonPath, placeholder: string, from = 0): number {
  if (!isContainer(value)) return 0;
  const step = path[from]!;
  const last = from === path.length - 1;
  const container = value as Record<string | number, unknown>;
  const keys: Array<string | number> =
    step.kind === 'all'
      ? Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value)
      : step.kind === 'index'
        ? Array.isArray(value) && step.index < value.length ? [step.index] : []
        : !Array.isArray(value) && Object.hasOwn(value, step.name) ? [step.name] : [];
  let count = 0;
  for (const key of keys) {
    if (last) {
      container[key] = placeholder;
      count++;
    } else {
      count += redactJsonPath(container[key], path, placeholder, from + 1);
    }
  }
  return count;
}

/**
 * Every string in a JSON value (not object keys) passed through `redactString`, in place.
 * Returns whether anything changed.
 */
export function redactJsonStrings(value: unknown, redactString: (text: string) => string): boolean {
  if (!isContainer(value)) return false;
  let changed = false;
  const container = value as Record<string | number, unknown>;
  for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
    const item = container[key];
    if (typeof item === 'string') {
      const redacted = redactString(item);
      if (redacted !== item) {
        container[key] = redacted;
        changed = true;
      }
    } else if (redactJsonStrings(item, redactString)) {
      changed = true;
    }
  }
  return changed;
}
