import { parseArgs } from 'node:util';
import { ConfigError, inventoryReport, somethingNew } from '@tracetape/core';
import { paletteFor } from '../colour.js';
import { parseDurationMs, parseSince } from '../human-format.js';
import { inventoryJson, inventoryMarkdown, inventoryTable } from '../inventory-report.js';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

const FORMATS = ['table', 'json', 'markdown'] as const;
type Format = (typeof FORMATS)[number];

export const inventoryCommand: Command = {
  name: 'inventory',
  summary: 'every external system the recorded runs touched, by service and door: calls, errors, what mutates, credentials by name',
  usage: `tracetape inventory [--service S] [--since T] [--until T] [--format table|json|markdown] [--compare D] [--fail-on-new]

Lists every external system the recorded calls of a period reached, by service and door: HTTP
hosts with method and route (IDs collapsed: /orders/{id}), LLM providers and models, databases
with statement kind and table, Redis command families, programs, MCP servers and their tools,
gRPC methods, WebSocket URLs and DNS names. For each: calls, errors, first and last seen, whether
it mutates (a method other than GET/HEAD/OPTIONS, a write statement or command, a tool call), and
the names (never the values) of the credentials it was reached with.

Options:
  --service <name>      only this service (exact)
  --since <time>        start of the period (default 7d): 30m, 2h, 7d, 1w back from now, or an
                        ISO time (2025-06-01, 2025-06-01T09:30:00Z; a time without a zone is UTC)
  --until <time>        end of the period, same forms (default: now)
  --format <format>     table (default), json, or markdown: a document to commit and review
  --compare <length>    also read the period of this length before --since (1h, 7d, 1w), and
                        report the systems and mutating operations it did not see: first, as
                        "New since the previous period"
  --fail-on-new         with --compare: exit 1 when anything is new, for alerting from cron or CI
                        (0: nothing new; 2: the command itself failed)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        service: { type: 'string' },
        since: { type: 'string', default: '7d' },
        until: { type: 'string' },
        format: { type: 'string', default: 'table' },
        compare: { type: 'string' },
        'fail-on-new': { type: 'boolean', default: false },
      },
      strict: true,
    });
    const format = parseFormat(values.format);
    const now = new Date();
    const since = parseSince(values.since, now);
    const until = values.until !== undefined ? parseSince(values.until, now, '--until') : now;
    if (until.getTime() <= since.getTime()) {
      throw new ConfigError(`--until (${until.toISOString()}) must come after --since (${since.toISOString()}).`);
    }
    const compareMs = values.compare !== undefined ? parseCompare(values.compare) : undefined;
    if (values['fail-on-new'] && compareMs === undefined) {
      throw new ConfigError('--fail-on-new needs --compare <length>: what is new is what the previous period did not see.');
    }
    const previousSince = compareMs !== undefined ? new Date(since.getTime() - compareMs) : undefined;
    const service = values.service !== undefined ? { service: values.service } : {};

    const { current, previous } = await withStore(async (store) => ({
      current: await store.inventoryCalls({ since, until, ...service }),
      previous: previousSince !== undefined ? await store.inventoryCalls({ since: previousSince, until: since, ...service }) : undefined,
    }));

    const report = inventoryReport({
      period: { since, until },
      ...service,
      current,
      ...(previous !== undefined && previousSince !== undefined ? { previous: { since: previousSince, calls: previous } } : {}),
    });

    process.stdout.write(format === 'json' ? inventoryJson(report) : format === 'markdown' ? inventoryMarkdown(report) : inventoryTable(report, paletteFor(process.stdout)));
    return values['fail-on-new'] && somethingNew(report) ? 1 : 0;
  },
};

function parseFormat(value: string): Format {
  const format = FORMATS.find((f) => f === value);
  if (format === undefined) throw new ConfigError(`--format must be ${FORMATS.join(', ')}, not "${value}".`);
  return format;
}

function parseCompare(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0) {
    throw new ConfigError(`--compare takes a length of time (1h, 7d, 1w): how far before --since the previous period starts, not "${value}".`);
  }
  return ms;
}
