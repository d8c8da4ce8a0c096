import { ConfigError } from '@tracetape/core';

/** `850 ms`, `1.2 s`, `3 min 5 s`, `2 h 10 min`: a duration as a person reads it. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A step's start after the run's: `+0.0 ms`, `+12.3 ms`, `+1.2 s`. */
export function formatOffset(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  // A child's clock may start a hair before the root span's: never print "+-0.1 ms".
  const shown = Math.max(0, ms);
  return `+${shown < 1000 ? `${shown.toFixed(1)} ms` : formatDuration(shown)}`;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A span of time (`30m`, `2h`, `7d`, `1w`, `45s`) in milliseconds; undefined when the text is not one. */
export function parseDurationMs(value: string): number | undefined {
  const relative = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i.exec(value.trim());
  return relative ? Number(relative[1]) * UNIT_MS[relative[2]!.toLowerCase()]! : undefined;
}

/** `--since` (or another option, named in the error): a span back from now (`30m`, `2h`, `7d`, `1w`, `45s`) or an ISO 8601 time. */
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

/**
 * Arguments as a POSIX shell reads them back: a word of safe characters as is, anything else in
 * single quotes (a quote inside becomes '\''), so a printed command can be pasted and run.
 */
export function shellQuote(args: readonly string[]): string {
  return args.map((arg) => (/^[A-Za-z0-9_\-.,:/@%+=]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
