import { parseArgs } from 'node:util';
import { TRACE_FLAGS, type ListTracesOptions, type TraceFlag, type TraceSummary } from '@tracetape/clickhouse';
import { ConfigError } from '@tracetape/core';
import { paletteFor, type Palette } from '../colour.js';
import { formatDuration, parseSince } from '../human-format.js';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

export const tracesCommand: Command = {
  name: 'traces',
  summary: 'list recent runs: trace ID, service, name, start, duration, status (recording, incomplete)',
  usage: `tracetape traces [--limit N] [--service S] [--name N] [--since T] [--status ok|error] [--flag F] [--json]

Lists the most recent traces in the store, newest first. Status is \`error\` when any span of the
run errored, \`ok\` otherwise; a run still recording, or one that lost spans, says so.

Options:
  --limit N            how many (default 20)
  --service <name>     only runs of this service (exact)
  --name <text>        only runs whose name contains <text> (any case)
  --since <time>       only runs started since: 30m, 2h, 7d, 1w back from now, or an ISO time
                       (2025-06-01, 2025-06-01T09:30:00Z; a time without a zone is UTC)
  --status ok|error    only runs that went well, or only those with an error
  --flag repeated-side-effect
                       only runs that did a side effect again with nothing making it safe (the
                       refund retried after a timeout without the same Idempotency-Key);
                       \`tracetape tape <id>\` shows the two steps
  --json               one JSON object per line instead of a table`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        limit: { type: 'string', default: '20' },
        service: { type: 'string' },
        name: { type: 'string' },
        since: { type: 'string' },
        status: { type: 'string' },
        flag: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit <= 0) throw new ConfigError(`--limit must be a positive whole number, not "${values.limit}".`);
    if (values.status !== undefined && values.status !== 'ok' && values.status !== 'error') {
      throw new ConfigError(`--status must be ok or error, not "${values.status}".`);
    }
    const options: ListTracesOptions = { limit };
    if (values.service !== undefined) options.service = values.service;
    if (values.name !== undefined) options.name = values.name;
    if (values.since !== undefined) options.since = parseSince(values.since);
    if (values.status !== undefined) options.status = values.status;
    if (values.flag !== undefined) options.flags = values.flag.map(parseFlag);
    const filtered = Object.keys(options).length > 1;

    const traces = await withStore((store) => store.listTraces(options));
    if (values.json) {
      for (const trace of traces) process.stdout.write(`${JSON.stringify(trace)}\n`);
      return 0;
    }
    if (traces.length === 0) {
      process.stdout.write(
        filtered
          ? 'No traces match these filters. `tracetape traces` without them lists the most recent runs.\n'
          : 'No traces stored yet. Record one with `tracetape record -- node app.js`.\n',
      );
      return 0;
    }
    const colour = paletteFor(process.stdout);
    const rows = traces.map((t) => [
      t.traceId,
      t.serviceName,
      runName(t),
      t.start.slice(0, 23),
      t.spanCount === 0 ? '-' : formatDuration(t.durationMs),
      statusText(t),
      String(t.recordedCalls),
    ]);
    const titles = ['trace id', 'service', 'name', 'start (UTC)', 'duration', 'status', 'calls'];
    const widths = titles.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
    // Padded before colouring: escape codes take no columns on screen.
    const line = (cells: string[], paint: (cell: string, column: number) => string) =>
      cells.map((cell, i) => paint(i === cells.length - 1 ? cell : cell.padEnd(widths[i]!), i)).join('  ').trimEnd();
    const out = [line(titles, (cell) => colour.bold(cell)), ...rows.map((row) => line(row, (cell, i) => (i === 5 ? paintStatus(cell, colour) : cell)))];
    process.stdout.write(out.join('\n') + '\n');
    for (const t of traces.filter((trace) => trace.repeatedSideEffects)) {
      const times = t.repeatedSideEffects === 1 ? 'a side effect' : `${t.repeatedSideEffects} side effects`;
      process.stdout.write(`${t.traceId}: ${colour.red('REPEATED SIDE EFFECT')}, did ${times} again: \`tracetape tape ${t.traceId.slice(0, 8)}\` shows the steps\n`);
    }
    for (const t of traces.filter((trace) => trace.state === 'incomplete')) {
      const lost = t.lostSpans ? `${t.lostSpans} span(s) lost` : 'spans missing';
      process.stdout.write(`${t.traceId}: ${colour.yellow('INCOMPLETE')}, ${lost}: ${t.reason ?? 'no reason recorded'}\n`);
    }
    return 0;
  },
};

function parseFlag(value: string): TraceFlag {
  if ((TRACE_FLAGS as readonly string[]).includes(value)) return value as TraceFlag;
  throw new ConfigError(`--flag must be one of ${TRACE_FLAGS.join(', ')}, not "${value}".`);
}

/** A stored replay is named by what it replayed, so it reads apart from the recordings. */
function runName(t: TraceSummary): string {
  if (t.runType !== 'replay' || !t.replayOf) return t.name;
  return `replay of ${t.replayOf.slice(0, 8)}${t.replayOutcome ? ` (${t.replayOutcome})` : ''}`;
}

/** `ok` or `error`, as a person asks "did it work?"; OpenTelemetry's Unset is no error, so ok. */
export function statusWord(status: string): 'ok' | 'error' {
  return status === 'Error' ? 'error' : 'ok';
}

function statusText(t: TraceSummary): string {
  if (t.spanCount === 0) return t.state === 'recording' ? 'recording' : t.state === 'incomplete' ? 'INCOMPLETE' : '-';
  const word = statusWord(t.status);
  return t.state === 'recording' ? `${word} (recording)` : t.state === 'incomplete' ? `${word} INCOMPLETE` : word;
}

function paintStatus(cell: string, colour: Palette): string {
  return cell
    .replace(/^(\s*)(error)/, (_, space: string, word: string) => space + colour.red(word))
    .replace(/^ok\b/, (word) => colour.green(word))
    .replace('INCOMPLETE', colour.yellow('INCOMPLETE'))
    .replace('(recording)', colour.dim('(recording)'));
}
