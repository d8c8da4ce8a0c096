import { createRequire } from 'node:module';
import { TracetapeError } from '@tracetape/core';
import { checkCommand } from './commands/check.js';
import { collectorCommand } from './commands/collector.js';
import type { Command } from './commands/command.js';
import { fixtureCommand } from './commands/fixture.js';
import { ingestCommand } from './commands/ingest.js';
import { inventoryCommand } from './commands/inventory.js';
import { queryCommand } from './commands/query.js';
import { recordCommand } from './commands/record.js';
import { replayCommand } from './commands/replay.js';
import { schemaCommand } from './commands/schema.js';
import { tapeCommand } from './commands/tape.js';
import { tracesCommand } from './commands/traces.js';
import { uiCommand } from './commands/ui.js';

const COMMANDS: Command[] = [recordCommand, tracesCommand, inventoryCommand, tapeCommand, fixtureCommand, checkCommand, replayCommand, uiCommand, queryCommand, ingestCommand, collectorCommand, schemaCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'tracetape: record a Node.js run onto OpenTelemetry spans in ClickHouse, and replay it from its trace ID.',
    '',
    'Usage: tracetape <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `tracetape <command> --help` for a command\'s options; `tracetape --version` for the version.',
    'Store: TRACETAPE_DIR (embedded, default .tracetape/) or TRACETAPE_CLICKHOUSE_URL (server).',
  ].join('\n');
}

/** The version of the package this CLI ships in (dist/cli.js sits one level below its package.json). */
function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`tracetape: unknown command "${name}".\n\n${usage()}\n`);
    return 2;
  }
  const beforeDash = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (beforeDash.includes('--help') || beforeDash.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n`);
    return 0;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof TracetapeError) {
      process.stderr.write(`tracetape: ${error.message}\n`);
    } else if (error instanceof Error && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tracetape: ${error.message}. Run \`tracetape ${process.argv[2]} --help\`.\n`);
    } else {
      process.stderr.write(`tracetape: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exitCode = 2;
  },
);
