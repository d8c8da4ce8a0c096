import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, serializeTape } from '@tracetape/core';
import { buildTape } from '../tape-builder.js';
import { renderTimeline } from '../timeline.js';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

export const tapeCommand: Command = {
  name: 'tape',
  summary: 'write the playback tape of a trace, or print its timeline',
  usage: `tracetape tape <traceId> [-o <file>] [--json]

Rebuilds the playback tape of a trace from the store. Without options, prints its timeline (one
line per recorded call, numbered as replay names them).

Options:
  -o, --output <file>   write the tape as JSON to <file> (replay it with \`tracetape replay --tape <file> -- ...\`)
  --json                print the tape as JSON on stdout`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { output: { type: 'string', short: 'o' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const traceId = positionals[0];
    if (!traceId) throw new ConfigError('Which trace? Usage: tracetape tape <traceId> [-o file]. List traces with `tracetape traces`.');
    const tape = await withStore((store) => buildTape(store, traceId));
    if (values.output) {
      fs.writeFileSync(values.output, serializeTape(tape));
      process.stderr.write(`tracetape: wrote ${tape.entries.length} step(s) of trace ${tape.traceId} to ${values.output}\n`);
    } else if (values.json) {
      process.stdout.write(serializeTape(tape));
    } else {
      process.stdout.write(`${renderTimeline(tape)}\n`);
    }
    return 0;
  },
};
