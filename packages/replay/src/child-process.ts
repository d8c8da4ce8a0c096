import { spawn } from 'node:child_process';
import os from 'node:os';
import { ConfigError, ROOT_PROCESS_PATH, type ReplayReport } from '@tracetape/core';
import { bundledHook } from './hook-bundle.js';

export interface HookedCommand {
  command: string[];
  /** TRACETAPE_* variables for the child; the register hook reads them. */
  env: Record<string, string>;
  /** Working directory of the command; default this process's. */
  cwd?: string;
  /** Keep the command's stdout (returned in the outcome) instead of passing it through. */
  captureStdout?: boolean;
  /**
   * The command only replays (no --then-live): preload the register hook bundled into one file per
   * mode (dist/hook/, built by `npm run build`), which starts several times faster than its ~600
   * modules; the modules when the bundle was not built.
   */
  playbackOnly?: boolean;
  /**
   * Once `done` resolves, the command has done what it was run for: if it is still running
   * `graceMs` later, it is sent SIGTERM, and SIGKILL if that has not ended it 10 s after.
   */
  stopAfter?: { done: Promise<unknown>; graceMs: number };
}

export interface ChildOutcome {
  /** The child's exit code, or 128 + the signal number if a signal ended it. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** What the command printed on stdout, when it was captured. */
  stdout?: string;
  /** Set when the command was still running after `stopAfter` and tracetape ended it. */
  stoppedBy?: 'SIGTERM' | 'SIGKILL';
}

const KILL_AFTER_MS = 10_000;

/**
 * A replay sends no telemetry out, as the hook decides for its own SDK (telemetry-env.ts). An SDK
 * preloaded with `--require` reads its settings before the hook runs, so they are set for it here:
 * its metrics and logs exports would otherwise be calls the tape lacks, failing the replay.
 */
const NO_TELEMETRY_EXPORT = { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } as const;

/**
 * Runs a command with the register hook preloaded through NODE_OPTIONS, so that every Node process
 * it starts (the app, and any node child of a wrapper such as npm) records or replays.
 */
export function runHooked({ command, env, cwd, captureStdout, playbackOnly, stopAfter }: HookedCommand): Promise<ChildOutcome> {
  const [program, ...args] = command;
  if (!program) throw new ConfigError('No command given: put the command to run after `--`, e.g. `tracetape record -- node app.js`.');
  const hook = playbackOnly ? bundledHook() : import.meta.resolve('@tracetape/register');
  // First: an OpenTelemetry SDK preloaded by the user's NODE_OPTIONS with --import then finds the
  // hook's globals registered; one preloaded with --require runs first anyway, and the hook takes
  // the globals over from it (register/src/app-sdk/started-sdk.ts).
  const nodeOptions = [`--import=${hook}`, process.env.NODE_OPTIONS].filter(Boolean).join(' ');
  // `node` means the Node running tracetape: the one the hook was built and tested for.
  const executable = program === 'node' ? process.execPath : program;
  const child = spawn(executable, args, {
    stdio: captureStdout ? ['inherit', 'pipe', 'inherit'] : 'inherit',
    env: { ...process.env, ...env, ...(env.TRACETAPE_MODE === 'playback' ? NO_TELEMETRY_EXPORT : {}), NODE_OPTIONS: nodeOptions },
    ...(cwd !== undefined ? { cwd } : {}),
  });
  const stdout: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let stoppedBy: ChildOutcome['stoppedBy'];
  const timers: NodeJS.Timeout[] = [];
  const stopIfRunning = (signal: NonNullable<ChildOutcome['stoppedBy']>) => () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    stoppedBy = signal;
    child.kill(signal);
  };
  void stopAfter?.done.then(() => {
    // Unref'd: the running child keeps tracetape alive, the timers never do.
    for (const [signal, ms] of [['SIGTERM', stopAfter.graceMs], ['SIGKILL', stopAfter.graceMs + KILL_AFTER_MS]] as const) {
      timers.push(setTimeout(stopIfRunning(signal), ms).unref());
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      cleanup();
      reject(new ConfigError(`Could not start \`${command.join(' ')}\`: ${error.message}`));
    });
    // With stdout piped, 'close' comes once the pipe is drained too: nothing it printed is lost.
    child.once(captureStdout ? 'close' : 'exit', (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      const outcome: ChildOutcome = { exitCode: code ?? 128 + signalNumber(signal), signal };
      if (captureStdout) outcome.stdout = Buffer.concat(stdout).toString('utf8');
      if (stoppedBy) outcome.stoppedBy = stoppedBy;
      resolve(outcome);
    });
  });
  function cleanup(): void {
    for (const timer of timers) clearTimeout(timer);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/**
 * The command's exit says nothing against the replay: tracetape stopped it, or it ended by the
 * signal the hook raised because its recording ended so (`report.endedAsRecorded`), killed by it
 * or exiting as a shell says a process it killed did (128 + its number). When the hook ended
 * another process than the command's first (a wrapper's child), the first one may also exit 1,
 * as wrappers do when their child dies by a signal (`exit(code ?? 1)`); any other exit of it is
 * its own, and held against the replay.
 */
export function endedByTracetape(outcome: ChildOutcome, report: Pick<ReplayReport, 'endedAsRecorded'> | undefined): boolean {
  if (outcome.stoppedBy) return true;
  const ended = report?.endedAsRecorded;
  if (!ended) return false;
  if (outcome.signal === ended.signal || outcome.exitCode === 128 + signalNumber(ended.signal)) return true;
  return ended.process !== undefined && ended.process !== ROOT_PROCESS_PATH && outcome.exitCode === WRAPPER_EXIT_ON_CHILD_SIGNAL;
}

/** What a wrapper (npm's run-script, `child.on('exit', (code) => process.exit(code ?? 1))`) exits with when its child died by a signal. */
const WRAPPER_EXIT_ON_CHILD_SIGNAL = 1;

/** A signal's number, as a shell adds it to 128 for a process the signal killed. */
function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal && os.constants.signals[signal]) || 1;
}
