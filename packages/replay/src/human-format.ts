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

// Shared with `tracetape ui`, whose inventory takes the same times.
export { parseDurationMs, parseSince } from '@tracetape/core';

/**
 * Arguments as a POSIX shell reads them back: a word of safe characters as is, anything else in
 * single quotes (a quote inside becomes '\''), so a printed command can be pasted and run.
 */
export function shellQuote(args: readonly string[]): string {
  return args.map((arg) => (/^[A-Za-z0-9_\-.,:/@%+=]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
