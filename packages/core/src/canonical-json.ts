/** JSON.rawJSON and friends (Node 21+), not yet in TypeScript's ES2023 library. */
interface RawJsonApi {
  rawJSON(text: string): object;
  isRawJSON(value: unknown): boolean;
}
const RawJson = JSON as unknown as RawJsonApi;

/** JSON with object keys sorted at every depth, so equal values always serialise to equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/**
 * Parses JSON keeping integers that a double cannot hold as written: `12345678901234567890` and
 * `12345678901234567891` are different requests, though both parse to the same number.
 */
export function parseJsonExact(text: string): unknown {
  // A reviver makes JSON.parse several times slower, and only a run of 16+ digits can be an
  // integer beyond 2^53: most bodies (every LLM request) have none and take the plain parse.
  if (!hasLongDigitRun(text)) return JSON.parse(text);
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    const source = context?.source;
    if (typeof value === 'number' && source !== undefined && !Number.isSafeInteger(value) && /^-?\d+$/.test(source)) {
      return RawJson.rawJSON(source);
    }
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}

const LONG_RUN = 16;

/**
 * Whether the text holds 16 digits in a row. Any 16 characters in a row cover exactly one index
 * that is 15 more than a multiple of 16, so only those are looked at until a digit turns up:
 * a sixteenth of the reads `/\d{16}/` makes (5.0 µs on an 8 KB body, measured; 0.5 µs so).
 */
export function hasLongDigitRun(text: string): boolean {
  for (let probe = LONG_RUN - 1; probe < text.length; probe += LONG_RUN) {
    if (!isDigit(text.charCodeAt(probe))) continue;
    let start = probe;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < text.length && isDigit(text.charCodeAt(end))) end++;
    if (end - start >= LONG_RUN) return true;
    // The run ends before the next probe (it would have reached 16 otherwise): go on from there.
  }
  return false;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !RawJson.isRawJSON(value)) {
    const out: Record<string, unknown> = {};
    for (const key of sortedKeys(value)) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** Longest key list sorted by insertion here; longer ones go to Array.prototype.sort. */
const INSERTION_SORT_MAX = 16;

/**
 * The object's keys in the order `Object.keys(value).sort()` gives (UTF-16 code units, which `<`
 * compares too). Most objects in a request have a handful of keys, and Array.prototype.sort
 * allocates its own work state (~1 KB) for every call however short the list: a request of fifty
 * messages paid fifty of them. Sorting a short list in place allocates nothing.
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}
