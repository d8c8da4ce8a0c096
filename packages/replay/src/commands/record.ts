import { parseArgs } from 'node:util';
import { ConfigError } from '@tracetape/core';
import { runHooked } from '../child-process.js';
import { readRunFile } from '../run-file.js';
import { makeScratchDir } from '../temp-files.js';
import { splitAtDoubleDash, type Command } from './command.js';

export const recordCommand: Command = {
  name: 'record',
  summary: 'run a command with capture on; prints the trace ID(s) it recorded',
  usage: `tracetape record [--name <run name>] -- <command...>

Runs the command with the tracetape register hook, recording every outbound call of each Node
process it starts into the store (TRACETAPE_DIR, default .tracetape/, or TRACETAPE_CLICKHOUSE_URL).
When it ends, prints on stderr the ID of each trace it recorded; replay one with
\`tracetape replay <traceId> -- <command...>\`. Exits with the command's exit code.

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
      // A wrapper process (npm, a shell-like script) records an empty run of its own: show the runs with calls.
      const all = readRunFile(runFile);
      const withCalls = all.filter((trace) => trace.calls > 0);
      const recorded = withCalls.length > 0 ? withCalls : all;
      if (recorded.length === 0) {
        process.stderr.write('tracetape: nothing was recorded: the command started no Node process with the hook.\n');
      }
      for (const trace of recorded) {
        const label = [trace.name, `${trace.calls} call${trace.calls === 1 ? '' : 's'}`].filter(Boolean).join(', ');
        process.stderr.write(`tracetape: recorded trace ${trace.traceId} (${label})\n`);
      }
      if (recorded.length > 0) {
        process.stderr.write(`tracetape: replay it with: tracetape replay ${recorded[0]!.traceId} -- ${command.join(' ')}\n`);
      }
      return outcome.exitCode;
    } finally {
      scratch.dispose();
    }
  },
};
