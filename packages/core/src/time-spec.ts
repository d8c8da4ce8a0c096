import { ConfigError } from './errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A span of time (`30m`, `2h`, `7d`, `1w`, `45s`) in milliseconds; undefined when the text is not one. */
export function parseDurationMs(value: string): number | undefined {
  const relative = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i.exec(value.trim());
  return relative ? Number(relative[1]) * UNIT_MS[relative[2]!.toLowerCase()]! : undefined;
}

/**
 * A time as `--since` takes it (or another option or field, named in the error): a span back from
 * now (`30m`, `2h`, `7d`, `1w`, `45s`) or an ISO 8601 time. Shared by the CLI and `tracetape ui`.
 */
export function parseSince(value: string, now: Date = new Date(), option = '--since'): Date {
  const text = value.trim();
  const back = parseDurationMs(text);
  if (back !== undefined) return new Date(now.getTime() - back);
  // Only dates that look like ISO 8601; Date.parse takes much else, differently per engine.
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    // A time with no zone is UTC, as `tracetape traces` prints its start times.
    const zoned = /[T ]\d{2}:\d{2}/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T');
    const date = new Date(zoned);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ConfigError(`${option} takes a time back from now (30m, 2h, 7d, 1w) or an ISO time (2025-06-01, 2025-06-01T09:30Z), not "${value}".`);
}
