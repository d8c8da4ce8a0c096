import { parseArgs } from 'node:util';
import { ConfigError } from '@tracetape/core';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

export const tracesCommand: Command = {
  name: 'traces',
  summary: 'list recent runs: trace ID, service, name, start, duration, status (recording, incomplete)',
  usage: `tracetape traces [--limit N] [--json]

Lists the most recent traces in the store, newest first.

Options:
  --limit N   how many (default 20)
  --json      one JSON object per line instead of a table`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { limit: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit <= 0) throw new ConfigError(`--limit must be a positive whole number, not "${values.limit}".`);
    const traces = await withStore((store) => store.listTraces({ limit }));
    if (values.json) {
      for (const trace of traces) process.stdout.write(`${JSON.stringify(trace)}\n`);
      return 0;
    }
    if (traces.length === 0) {
      process.stdout.write('No traces stored yet. Record one with `tracetape record -- node app.js`.\n');
      return 0;
    }
    const rows = traces.map((t) => [
      t.traceId,
      t.serviceName,
      t.name,
      t.start.slice(0, 23),
      `${t.durationMs.toFixed(1)} ms`,
      t.state === 'recording' ? `${t.status} (recording)` : t.state === 'incomplete' ? `${t.status} INCOMPLETE` : t.status,
      String(t.recordedCalls),
    ]);
    const titles = ['trace id', 'service', 'name', 'start (UTC)', 'duration', 'status', 'calls'];
    const widths = titles.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
    process.stdout.write([line(titles), ...rows.map(line)].join('\n') + '\n');
    for (const t of traces.filter((trace) => trace.state === 'incomplete')) {
      const lost = t.lostSpans ? `${t.lostSpans} span(s) lost` : 'spans missing';
      process.stdout.write(`${t.traceId}: INCOMPLETE, ${lost}: ${t.reason ?? 'no reason recorded'}\n`);
    }
    return 0;
  },
};
