/*
 * What the tape and contract checkers share: a value's shape checked at a JSON path, and a failure
 * that names the path and says what was found. Each file format subclasses it with its own error
 * and its own rules.
 */

export type JsonObject = Record<string, unknown>;

export abstract class JsonShapeChecker {
  /** Throws the format's own error, naming the JSON path and the problem. */
  abstract fail(path: string, problem: string): never;

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `must be an array, not ${describeJsonValue(value)}`);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, `must be a string, not ${describeJsonValue(value)}`);
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, `must be true or false, not ${describeJsonValue(value)}`);
    return value;
  }
}

/** A value as an error message shows it: its kind for containers, else its JSON cut to 40 characters. */
export function describeJsonValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
