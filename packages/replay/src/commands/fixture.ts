import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, parseTape, serializeTape } from '@tracetape/core';
import { fixturePath } from '../fixture-name.js';
import { fixtureRedactor, redactTape, type RedactedHeader } from '../fixture-redaction.js';
import { buildTape } from '../tape-builder.js';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

export const fixtureCommand: Command = {
  name: 'fixture',
  summary: 'freeze a trace into a self-contained, redacted tape file to commit as a regression test',
  usage: `tracetape fixture <traceId> [-o <dir>] [--name <name>]

Writes the tape of a trace as <dir>/<run name>-<first 8 of trace ID>.tape.json, ready to commit and
replay in a test with replayTape() from @tracetape/replay/testing, or with
\`tracetape replay --tape <file> -- <command...>\`. The file is self-contained: it holds every
payload (each distinct one once, in its "payloads" table), nothing refers to the store. Header
values are redacted again on the way out (authorization, cookies, API keys, plus
TRACETAPE_REDACT_HEADERS), whatever the recorder did.

Options:
  -o, --output <dir>   directory to write into, created if missing (default: the current directory)
  --name <name>        file name stem instead of the run name`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { output: { type: 'string', short: 'o', default: '.' }, name: { type: 'string' } },
      strict: true,
    });
    const traceId = positionals[0];
    if (!traceId) throw new ConfigError('Which trace? Usage: tracetape fixture <traceId> -o <dir>. List traces with `tracetape traces`.');
    if (values.name !== undefined && !/[a-z0-9]/i.test(values.name)) {
      throw new ConfigError(`--name needs at least one letter or digit to name the file, not "${values.name}".`);
    }
    // buildTape inlines every offloaded payload (or refuses), which is what makes the file self-contained.
    const recorded = await withStore((store) => buildTape(store, traceId));
    const { tape, redacted } = redactTape(recorded, fixtureRedactor());
    // Each distinct payload once: a long conversation's fixture is a fraction of its expanded size.
    const text = serializeTape(tape, { compact: true });
    const file = fixturePath(values.output!, tape, values.name);
    parseTape(text, file); // never commit a fixture that replay would refuse
    fs.mkdirSync(values.output!, { recursive: true });
    fs.writeFileSync(file, text);
    process.stderr.write(`tracetape: ${describeRedaction(redacted)}\n`);
    process.stderr.write(`tracetape: wrote fixture ${file} (${tape.entries.length} step(s) of trace ${tape.traceId})\n`);
    return 0;
  },
};

function describeRedaction(redacted: RedactedHeader[]): string {
  if (redacted.length === 0) return 'redaction pass: no unredacted secret headers found (the recorder had redacted them).';
  const names = [...new Set(redacted.map((r) => r.header))].sort().join(', ');
  return `redaction pass: redacted ${redacted.length} header value(s) the recording still carried (${names}); check TRACETAPE_REDACT_HEADERS where it was recorded.`;
}
