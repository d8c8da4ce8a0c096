import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, parseTape, serializeTape, type ReplayReport, type Tape } from '@tracetape/core';
import { runHooked } from '../child-process.js';
import { renderReport } from '../report.js';
import { buildTape } from '../tape-builder.js';
import { makeScratchDir } from '../temp-files.js';
import { splitAtDoubleDash, type Command } from './command.js';
import { withStore } from './store-access.js';

export const replayCommand: Command = {
  name: 'replay',
  summary: 're-run a command against the tape of a trace (or a tape file)',
  usage: `tracetape replay <traceId> [options] -- <command...>
tracetape replay --tape <file> [options] -- <command...>

Re-runs the command with every outbound call answered from the recording: nothing reaches the
network, side effects are not repeated. A call the recording does not hold is blocked (it fails
in the app) and reported with the closest recorded request and a field-by-field diff.
Exits with the command's exit code, or 1 if any call was blocked.

Options:
  --tape <file>          replay from a tape file (written by \`tracetape tape <traceId> -o <file>\`)
  --strict               also fail if recorded calls were never asked for
  --live-host <host>     let calls to this host (host or host:port) go to the network; repeatable`,
  async run(args) {
    const { options, command } = splitAtDoubleDash(args);
    const { values, positionals } = parseArgs({
      args: options,
      allowPositionals: true,
      options: {
        tape: { type: 'string' },
        strict: { type: 'boolean', default: false },
        'live-host': { type: 'string', multiple: true },
      },
      strict: true,
    });
    const traceId = positionals[0];
    if (!traceId && !values.tape) throw new ConfigError('Replay what? Give a trace ID or --tape <file>. List traces with `tracetape traces`.');
    if (command.length === 0) throw new ConfigError('Nothing to run: put the command after `--`, e.g. `tracetape replay <traceId> -- node app.js`.');

    const tape: Tape = values.tape
      ? parseTape(fs.readFileSync(values.tape, 'utf8'), values.tape)
      : await withStore((store) => buildTape(store, traceId!));

    const scratch = makeScratchDir();
    try {
      const tapeFile = scratch.file('tape.json');
      const reportFile = scratch.file('report.json');
      fs.writeFileSync(tapeFile, serializeTape(tape));
      const env: Record<string, string> = {
        TRACETAPE_MODE: 'playback',
        TRACETAPE_TAPE: tapeFile,
        TRACETAPE_REPORT_FILE: reportFile,
      };
      if (values['live-host']?.length) env.TRACETAPE_LIVE_HOSTS = values['live-host'].join(',');
      const outcome = await runHooked({ command, env });
      if (!fs.existsSync(reportFile)) {
        process.stderr.write('tracetape: the command started no Node process with the hook, so nothing was replayed.\n');
        return outcome.exitCode || 1;
      }
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as ReplayReport;
      process.stderr.write(`${renderReport(report)}\n`);
      if (outcome.exitCode !== 0) return outcome.exitCode;
      if (report.blocked.length > 0) return 1;
      if (values.strict && report.unconsumed.length > 0) return 1;
      return 0;
    } finally {
      scratch.dispose();
    }
  },
};
