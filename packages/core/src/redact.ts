/** Headers whose values never reach storage unless configured otherwise. */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
];

export const REDACTED = '[REDACTED]';

export interface RedactionOptions {
  /** Header names (any case) whose values are replaced by {@link REDACTED}. */
  headers?: readonly string[];
}

export class Redactor {
  private readonly headerNames: ReadonlySet<string>;

  constructor(options: RedactionOptions = {}) {
    this.headerNames = new Set((options.headers ?? DEFAULT_REDACTED_HEADERS).map((name) => name.toLowerCase()));
  }

  isRedactedHeader(name: string): boolean {
    return this.headerNames.has(name.toLowerCase());
  }

  headers(headers: Iterable<[string, string]>): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [name, value] of headers) out.push([name, this.isRedactedHeader(name) ? REDACTED : value]);
    return out;
  }
}
