import { parseArgs } from 'node:util';
import { ConfigError } from '@tracetape/core';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

const FORMATS: Record<string, string> = { table: 'PrettyCompactMonoBlock', json: 'JSONEachRow', csv: 'CSVWithNames' };

export const queryCommand: Command = {
  name: 'query',
  summary: 'run SQL against the store (embedded or server)',
  usage: `tracetape query "<SQL>" [--format table|json|csv]

Runs one SQL statement against the configured store and prints the result.
Example: tracetape query "SELECT SpanName, count() FROM otel_traces GROUP BY SpanName"

Options:
  --format table|json|csv   output format (default table)`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string', default: 'table' } },
      strict: true,
    });
    const sql = positionals.join(' ').trim();
    if (!sql) throw new ConfigError('No SQL given. Usage: tracetape query "SELECT ... FROM otel_traces".');
    const format = FORMATS[values.format!];
    if (!format) throw new ConfigError(`--format must be table, json or csv, not "${values.format}".`);
    const output = await withStore((store) => store.query(sql, format));
    process.stdout.write(output.endsWith('\n') || output === '' ? output : `${output}\n`);
    return 0;
  },
};
