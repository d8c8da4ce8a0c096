/*
 * The paths of a contract's JSON checks: `refund.items[0].sku`, `$` or empty for the whole value,
 * an optional leading `$` or `$.`, and `["a key.with dots"]` for keys a dot would split.
 */

export type JsonCheckStep = string | number;

export interface ParsedJsonCheckPath {
  steps: JsonCheckStep[];
  /** Why the path cannot be read (`has an unclosed [ at 7`); absent when it can. */
  problem?: string;
}

export function parseJsonCheckPath(path: string): ParsedJsonCheckPath {
  const steps: JsonCheckStep[] = [];
  let i = 0;
  if (path.startsWith('$')) {
    i = 1;
    if (path[i] === '.') i++;
    if (i === 2 && i === path.length) return { steps, problem: 'ends with a dot' };
  }
  let first = true;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) return { steps, problem: `has an unclosed [ at ${i}` };
      const inner = path.slice(i + 1, close);
      if (/^\d+$/.test(inner)) {
        steps.push(Number(inner));
        i = close + 1;
      } else if (inner.startsWith('"')) {
        // A quoted key may itself hold `]`: read it as a JSON string.
        const end = quotedEnd(path, i + 1);
        if (end < 0 || path[end + 1] !== ']') return { steps, problem: `has an unclosed quoted key at ${i}` };
        steps.push(JSON.parse(path.slice(i + 1, end + 1)) as string);
        i = end + 2;
      } else {
        return { steps, problem: `has [${inner}] at ${i}: an index is a whole number, a key is quoted (["a.b"])` };
      }
    } else {
      if (!first) {
        if (ch !== '.') return { steps, problem: `has ${JSON.stringify(ch)} at ${i} where . or [ was expected` };
        i++;
      }
      let end = i;
      while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
      if (end === i) return { steps, problem: `has an empty key at ${i}` };
      steps.push(path.slice(i, end));
      i = end;
    }
    first = false;
  }
  return { steps };
}

/** Index of the closing quote of the JSON string starting at `start`, or -1. */
function quotedEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** The value at the path; undefined where the path leads nowhere. */
export function valueAtPath(value: unknown, steps: readonly JsonCheckStep[]): unknown {
  let current = value;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[step];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}
