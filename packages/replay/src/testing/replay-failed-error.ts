import { TracetapeError, type ReplayReport } from '@tracetape/core';
import { renderReport } from '../report.js';

/** What a replayed command did, for assertions on a failed replay too. */
export interface CommandOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ReplayFailure {
  /** The tape, as errors name it (its file or trace ID). */
  tape: string;
  /** Missing when the command never replayed anything (it started no Node process with the hook). */
  report?: ReplayReport;
  /** Why it failed, in a few words; the report says the rest. */
  reasons: string[];
  /** `replayTapeCommand` only. */
  outcome?: CommandOutcome;
  /** What the code under test threw, if it threw (often the blocked call failing inside it). */
  cause?: unknown;
}

/**
 * A replay fixture no longer replays: the code asked for calls the tape does not hold (blocked),
 * or, with `strict`, left recorded calls unasked. The message is the divergence report.
 */
export class ReplayFailedError extends TracetapeError {
  readonly report: ReplayReport | undefined;
  readonly outcome: CommandOutcome | undefined;

  constructor(failure: ReplayFailure, detail?: string) {
    const lines = [`Replay of ${failure.tape} failed: ${failure.reasons.join('; ')}.`];
    if (failure.report) lines.push(renderReport(failure.report));
    if (detail) lines.push(detail);
    lines.push(
      'If the change is intended, record the run again and refresh the fixture with `tracetape fixture <traceId> -o <dir>`.',
    );
    super('TRACETAPE_REPLAY_FAILED', lines.join('\n'), failure.cause === undefined ? undefined : { cause: failure.cause });
    this.report = failure.report;
    this.outcome = failure.outcome;
  }
}

/** The reasons a replay report fails a test, none if it passes. */
export function reportFailures(report: ReplayReport, strict: boolean): string[] {
  const reasons: string[] = [];
  if (report.blocked.length > 0) reasons.push(`${report.blocked.length} call(s) blocked: not on the tape`);
  if (strict && report.unconsumed.length > 0) reasons.push(`${report.unconsumed.length} recorded step(s) never asked for (strict)`);
  // As `tracetape replay --strict`: more clock reads than recorded are harmless (the clock goes on
  // by real time), but a random value or ID the run never drew means the code now does more.
  const beyond = (report.nondeterminism ?? []).filter((usage) => usage.source !== 'clock' && usage.extra > 0);
  if (strict && beyond.length > 0) {
    reasons.push(`${beyond.map((usage) => `${usage.extra} ${usage.source} read(s)`).join(', ')} beyond the recording (strict)`);
  }
  return reasons;
}
