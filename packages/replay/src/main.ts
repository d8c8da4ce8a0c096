import { TracetapeError } from '@tracetape/core';
import type { Command } from './commands/command.js';

/**
 * Each command's module is loaded only when it runs: a command imports what it needs (the store
 * client, the collector, the UI's page), and `tracetape replay` must not wait for the others'.
 */
const COMMANDS: Array<[name: string, load: () => Promise<Command>]> = [
  ['record', async () => (await import('./commands/record.js')).recordCommand],
  ['traces', async () => (await import('./commands/traces.js')).tracesCommand],
  ['inventory', async () => (await import('./commands/inventory.js')).inventoryCommand],
  ['tape', async () => (await import('./commands/tape.js')).tapeCommand],
  ['fixture', async () => (await import('./commands/fixture.js')).fixtureCommand],
  ['check', async () => (await import('./commands/check.js')).checkCommand],
  ['replay', async () => (await import('./commands/replay.js')).replayCommand],
  ['ui', async () => (await import('./commands/ui.js')).uiCommand],
  ['query', async () => (await import('./commands/query.js')).queryCommand],
  ['ingest', async () => (await import('./commands/ingest.js')).ingestCommand],
  ['collector', async () => (await import('./commands/collector.js')).collectorCommand],
  ['schema', async () => (await import('./commands/schema.js')).schemaCommand],
];

async function usage(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map(([, load]) => load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'tracetape: record a Node.js run onto OpenTelemetry spans in ClickHouse, and replay it from its trace ID.',
    '',
    'Usage: tracetape <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `tracetape <command> --help` for a command\'s options; `tracetape --version` for the version.',
    'Store: TRACETAPE_DIR (embedded, default .tracetape/) or TRACETAPE_CLICKHOUSE_URL (server).',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${await usage()}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS.find(([commandName]) => commandName === name)?.[1];
  if (!load) {
    process.stderr.write(`tracetape: unknown command "${name}".\n\n${await usage()}\n`);
    return 2;
  }
  const command = await load();
  const beforeDash = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (beforeDash.includes('--help') || beforeDash.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n`);
    return 0;
  }
  return command.run(args);
}

/** Runs `tracetape <argv>` (the version is cli.ts's, which starts this), setting the process's exit code. */
export function runCli(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof TracetapeError) {
        process.stderr.write(`tracetape: ${error.message}\n`);
      } else if (error instanceof Error && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`tracetape: ${error.message}. Run \`tracetape ${argv[0]} --help\`.\n`);
      } else {
        process.stderr.write(`tracetape: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      }
      process.exitCode = 2;
    },
  );
}
