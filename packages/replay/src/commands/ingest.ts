import { parseArgs } from 'node:util';
import { openStore } from '@tracetape/clickhouse';
import { LogIngester, type IngestReport } from '@tracetape/collector/ingest';
import { ConfigError } from '@tracetape/core';
import type { Command } from './command.js';
import { holdStore, storeAccessFromEnv, tellIngestReport } from './store-access.js';

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'move the recording log into the store (--follow: keep doing it)',
  usage: `tracetape ingest [--follow] [--interval-ms N]

Recording processes append their spans to the recording log (TRACETAPE_LOG_DIR, default
<TRACETAPE_DIR>/tracetape-log); every command that reads the store moves the log into it first.
This command does only that: everything complete in the log is stored, exactly once, and the
segments whose processes are done are removed. Records a crashed process left half-written are
reported and skipped, and its runs are marked incomplete.

Options:
  --follow          keep ingesting until stopped (Ctrl-C, SIGTERM); holds the embedded store meanwhile
  --interval-ms N   with --follow, how often to look at the log (default 500)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { follow: { type: 'boolean', default: false }, 'interval-ms': { type: 'string', default: '500' } },
      strict: true,
    });
    const interval = Number(values['interval-ms']);
    if (!Number.isInteger(interval) || interval <= 0) throw new ConfigError(`--interval-ms must be a positive whole number, not "${values['interval-ms']}".`);
    const access = storeAccessFromEnv();
    const release = await holdStore(access);
    const store = openStore(access.options);
    const ingester = new LogIngester({ store, logDir: access.logDir });
    let stopped = false;
    const stop = (): void => {
      stopped = true;
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const total = { spans: 0, segments: 0 };
    try {
      do {
        const report: IngestReport = await ingester.ingest();
        tellIngestReport(report, access.logDir);
        total.spans += report.spans;
        total.segments += report.removedSegments;
        if (values.follow && report.spans > 0) process.stderr.write(`tracetape ingest: stored ${report.spans} span(s)\n`);
        if (values.follow && !stopped) await new Promise((resolve) => setTimeout(resolve, interval));
      } while (values.follow && !stopped);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      try {
        await store.close();
      } finally {
        release();
      }
    }
    process.stderr.write(`tracetape ingest: stored ${total.spans} span(s) from ${access.logDir} into ${store.location}; ${total.segments} finished log segment(s) removed\n`);
    return 0;
  },
};
