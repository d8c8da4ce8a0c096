import { parseArgs } from 'node:util';
import { ConfigError } from '@tracetape/core';
import { runHooked } from '../child-process.js';
import { shellQuote } from '../human-format.js';
import { mergeRunLines, readRunFile, unlistedCalls, type RecordedRun } from '../run-file.js';
import { isWhole, runOutcomeLine } from '../run-outcome.js';
import { makeScratchDir } from '../temp-files.js';
import { splitAtDoubleDash, type Command } from './command.js';

export const recordCommand: Command = {
  name: 'record',
  summary: 'run a command with capture on; prints the trace ID(s) it recorded',
  usage: `tracetape record [--name <run name>] -- <command...>

Runs the command with the tracetape register hook, recording every outbound call of each Node
process it starts (its child node processes and worker threads too) into the recording log of the
store (TRACETAPE_DIR, default .tracetape/, or TRACETAPE_CLICKHOUSE_URL). When it ends, prints on
stderr the ID of each trace it recorded whole; replay one with
\`tracetape replay <traceId> -- <command...>\`. Exits with the command's exit code, or 1 when any
span could not be recorded (the message says which trace, how many spans and why) or a process's
run was not recorded (left out by the sampler: OTEL_TRACES_SAMPLER, an unsampled TRACEPARENT; or
OTEL_SDK_DISABLED=true); the message says which and what to do.

Options:
  --name <run name>   name of the run's root span (default: the script's file name)`,
  async run(args) {
    const { options, command } = splitAtDoubleDash(args);
    const { values } = parseArgs({ args: options, options: { name: { type: 'string' } }, strict: true });
    if (command.length === 0) throw new ConfigError('Nothing to record: put the command after `--`, e.g. `tracetape record -- node app.js`.');
    const scratch = makeScratchDir();
    try {
      const runFile = scratch.file('run.jsonl');
      const env: Record<string, string> = { TRACETAPE_MODE: 'capture', TRACETAPE_RUN_FILE: runFile };
      if (values.name) env.TRACETAPE_RUN_NAME = values.name;
      const outcome = await runHooked({ command, env });
      const lines = readRunFile(runFile);
      const all = mergeRunLines(lines);
      // A wrapper process (npm, a shell-like script) records an empty run of its own: show the runs with calls.
      const withCalls = all.filter((run) => run.calls > 0 || run.lostSpans > 0 || run.notRecorded.length > 0);
      const runs = withCalls.length > 0 ? withCalls : all;
      if (runs.length === 0) {
        process.stderr.write(
          outcome.signal
            ? `tracetape: the command was ended by ${outcome.signal} before it could say what it recorded. What it had flushed is in the recording log: \`tracetape traces\` lists it, marked incomplete.\n`
            : 'tracetape: nothing was recorded: the command started no Node process with the hook.\n',
        );
      }
      // The whole runs first, then the others with what is missing of them, and why.
      const whole = runs.filter(isWhole);
      for (const run of [...whole, ...runs.filter((run) => !isWhole(run))]) process.stderr.write(`${runOutcomeLine(run, label(run))}\n`);
      const unlisted = unlistedCalls(lines);
      if (unlisted > 0) {
        process.stderr.write(`tracetape: and ${unlisted} more recorded call(s) in traces past the ones each process lists; \`tracetape traces\` lists them all\n`);
      }
      if (whole.length > 0) {
        process.stderr.write(`tracetape: replay it with: tracetape replay ${whole[0]!.traceId} -- ${replayHintCommand(command)}\n`);
      }
      if (whole.length < runs.length) {
        const why = runs.some((run) => run.lostSpans > 0) ? 'the recording lost spans' : 'a run was not recorded';
        process.stderr.write(
          outcome.exitCode === 0
            ? `tracetape: ${why}, so record exits 1; the command itself exited 0.\n`
            : `tracetape: ${why}; record exits ${outcome.exitCode}, as the command itself did.\n`,
        );
        return outcome.exitCode === 0 ? 1 : outcome.exitCode;
      }
      return outcome.exitCode;
    } finally {
      scratch.dispose();
    }
  },
};

/**
 * The command as a user pastes it back into a POSIX shell: quoted where a word needs it. The Node
 * running tracetape is written `node`, which is what replay runs for `node` anyway: a script or a
 * test that passed process.execPath would otherwise print a path into a checkout.
 */
export function replayHintCommand(command: readonly string[], nodePath: string = process.execPath): string {
  const [program, ...args] = command;
  return shellQuote([program === nodePath ? 'node' : program!, ...args]);
}

function label(run: RecordedRun): string {
  return [run.name, `${run.calls} call${run.calls === 1 ? '' : 's'}`].filter(Boolean).join(', ');
}
