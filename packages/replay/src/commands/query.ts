import { parseArgs } from 'node:util';
import { UserQueryError } from '@tracetape/clickhouse';
import { ConfigError, TracetapeError } from '@tracetape/core';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

const FORMATS: Record<string, string> = { table: 'PrettyCompactMonoBlock', json: 'JSONEachRow', csv: 'CSVWithNames' };

/** Statements that answer with rows (possibly none). */
const READS_ROWS = /^\s*(\(\s*)*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b/i;

/** The query would change the store, and `--write` was not given. */
export class ReadOnlyQueryError extends TracetapeError {
  constructor(reason: string) {
    super('TRACETAPE_QUERY_READ_ONLY', `query is read-only; add --write to change the store (ClickHouse said: ${reason}).`);
  }
}

/** ClickHouse refused the user's SQL: its reason, plainly, with no guess about tracetape's schema. */
export class QueryFailedError extends TracetapeError {
  constructor(reason: string) {
    super('TRACETAPE_QUERY_FAILED', `query failed: ${reason}.`);
  }
}

export const queryCommand: Command = {
  name: 'query',
  summary: 'run SQL against the store (embedded or server); read-only unless --write',
  usage: `tracetape query "<SQL>" [--format table|json|csv] [--write]

Runs one SQL statement against the configured store and prints the result.
Example: tracetape query "SELECT SpanName, count() FROM otel_traces GROUP BY SpanName"

The statement runs with ClickHouse's readonly setting, so a typo'd DROP or DELETE cannot touch the
recordings: only --write lets INSERT, ALTER, DROP and other changes through.

Options:
  --format table|json|csv   output format (default table)
  --write                   allow statements that change the store`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string', default: 'table' }, write: { type: 'boolean', default: false } },
      strict: true,
    });
    const sql = positionals.join(' ').trim();
    if (!sql) throw new ConfigError('No SQL given. Usage: tracetape query "SELECT ... FROM otel_traces".');
    const format = FORMATS[values.format!];
    if (!format) throw new ConfigError(`--format must be table, json or csv, not "${values.format}".`);
    let output: string;
    try {
      output = await withStore((store) => store.query(sql, format, { readOnly: !values.write }));
    } catch (error) {
      if (!(error instanceof UserQueryError)) throw error;
      throw error.readOnlyRefusal && !values.write ? new ReadOnlyQueryError(error.reason) : new QueryFailedError(error.reason);
    }
    // The table format prints nothing at all for no rows, which reads like a failure. A statement
    // that returns no result set (an INSERT or DROP under --write) stays silent, as ClickHouse's is.
    if (output === '' && values.format === 'table' && READS_ROWS.test(sql)) output = '0 rows\n';
    process.stdout.write(output.endsWith('\n') || output === '' ? output : `${output}\n`);
    return 0;
  },
};
