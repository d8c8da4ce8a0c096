import type { ReplayReport, Tape } from '@tracetape/core';
import { applyOverrides, loadOverride } from './overrides.js';
import { mergeRunLines, readRunFile, type RunFileLine } from './run-file.js';
import { runOutcomeLine } from './run-outcome.js';
import { parseStepNumber, requireStepOnTape } from './step-args.js';

/** The replay debugger's options, as `tracetape replay` parsed them. */
export interface DebuggingOptions {
  breakAt?: string | undefined;
  overrides: readonly string[];
  thenLive: boolean;
}

export interface PreparedDebugging {
  /** The tape to hand the child: the recording with the overrides applied. */
  tape: Tape;
  /** TRACETAPE_* variables for the child. */
  env: Record<string, string>;
  /** After the child exited: what `--then-live` recorded, in the words `tracetape record` uses. */
  describeRecording(report: ReplayReport): string[];
}

/**
 * Checks --break-at, --override and --then-live against the tape before anything runs (a bad
 * step or file exits 2 with nothing started) and turns them into the child's tape and environment.
 */
export function prepareDebugging(tape: Tape, options: DebuggingOptions, runFile: string): PreparedDebugging {
  const env: Record<string, string> = {};
  const overridden = applyOverrides(tape, options.overrides.map(loadOverride));
  if (options.breakAt !== undefined) {
    const step = parseStepNumber(options.breakAt, '--break-at');
    requireStepOnTape(tape, step, `--break-at ${step}`);
    env.TRACETAPE_BREAK_AT = String(step);
  }
  if (options.thenLive) {
    env.TRACETAPE_THEN_LIVE = '1';
    env.TRACETAPE_RUN_FILE = runFile;
  }
  return {
    tape: overridden,
    env,
    describeRecording: (report) => (options.thenLive ? describe(tape.traceId, readRunFile(runFile), report) : []),
  };
}

function describe(originalTraceId: string, recorded: RunFileLine[], report: ReplayReport): string[] {
  if (recorded.length === 0) return ['tracetape: --then-live recorded nothing: the command started no Node process with the hook.'];
  const served = report.served.length;
  const live = report.live?.length ?? 0;
  return mergeRunLines(recorded).map((run) => {
    const label = [run.name, `${run.calls} call${run.calls === 1 ? '' : 's'}`, `${served} from the tape of ${originalTraceId}, ${live} live`]
      .filter(Boolean)
      .join(', ');
    return runOutcomeLine(run, label);
  });
}
