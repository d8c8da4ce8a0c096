import type { ReplayReport } from '@tracetape/core';
import { PlaybackSession } from '@tracetape/instrumentation';
import { ReplayFailedError, reportFailures } from './replay-failed-error.js';
import { loadTape, type TapeSource } from './tape-source.js';

export interface ReplayTapeOptions {
  /** Also fail when recorded calls were never asked for (the code now does less than it did). */
  strict?: boolean;
  /** Hosts (`host` or `host:port`) whose calls go to the network instead of the tape. */
  liveHosts?: readonly string[];
  /** Headers that enter the input hash; must match the recording's (default: TRACETAPE_HASH_HEADERS, else content-type). */
  hashHeaders?: readonly string[];
  /** Replay a tape file whose checksum is missing or no longer matches (a fixture edited by hand on purpose). */
  allowModifiedTape?: boolean;
}

export interface ReplayTapeResult<T> {
  result: T;
  report: ReplayReport;
}

/**
 * Runs `fn` in this process with every outbound HTTP call answered from the tape, then checks the
 * replay: it throws a {@link ReplayFailedError} carrying the divergence report if any call was
 * blocked (and, with `strict`, if any recorded step went unconsumed). Playback is process-wide
 * while `fn` runs, so await each replayTape and do not nest them.
 */
export async function replayTape<T>(
  tapeSource: TapeSource,
  fn: () => T | Promise<T>,
  options: ReplayTapeOptions = {},
): Promise<ReplayTapeResult<T>> {
  const { tape, label } = loadTape(tapeSource, { allowModified: options.allowModifiedTape });
  const hashHeaders = options.hashHeaders ?? hashHeadersFromEnv();
  const session = new PlaybackSession({
    tape,
    ...(options.liveHosts ? { liveHosts: options.liveHosts } : {}),
    ...(hashHeaders ? { hashHeaders } : {}),
  });
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  let report: ReplayReport;
  try {
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    report = session.report();
    session.dispose();
  }
  const reasons = reportFailures(report, options.strict ?? false);
  if (reasons.length > 0) {
    // A blocked call usually surfaces as the code's own error; the divergence explains it better.
    const detail = outcome.ok ? undefined : `The code under test threw: ${describe(outcome.error)}`;
    throw new ReplayFailedError({ tape: label, report, reasons, ...(outcome.ok ? {} : { cause: outcome.error }) }, detail);
  }
  if (!outcome.ok) throw outcome.error;
  return { result: outcome.value, report };
}

function hashHeadersFromEnv(): string[] | undefined {
  const names = (process.env.TRACETAPE_HASH_HEADERS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
