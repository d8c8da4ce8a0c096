import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ATTR_TRACETAPE_REPLAY_OF,
  ATTR_TRACETAPE_RUN_TYPE,
  ConfigError,
  deriveContract,
  parseContract,
  parseStoredReplay,
  parseTape,
  serializeContract,
  serializeTape,
} from '@tracetape/core';
import { fixturePath } from '../fixture-name.js';
import { fixtureRedactor, redactTape, type RedactedHeader } from '../fixture-redaction.js';
import { buildTape } from '../tape-builder.js';
import { splitAtDoubleDash, type Command } from './command.js';
import { withStore } from './store-access.js';

export const fixtureCommand: Command = {
  name: 'fixture',
  summary: 'freeze a trace into a self-contained, redacted tape file to commit as a regression test',
  usage: `tracetape fixture <traceId> [-o <dir>] [--name <name>] [-- <command...>]

Writes the tape of a trace as <dir>/<run name>-<first 8 of trace ID>.tape.json, ready to commit and
replay in a test with replayTape() from @tracetape/replay/testing, or with
\`tracetape replay --tape <file> -- <command...>\`. The file is self-contained: it holds every
payload (each distinct one once, in its "payloads" table), nothing refers to the store. Header
values are redacted again on the way out (authorization, cookies, API keys, plus
TRACETAPE_REDACT_HEADERS), whatever the recorder did.

Beside it, <…>.contract.json: what a run of the fixture must do, for \`tracetape check\`. It starts as
a skeleton read off the recording (exit status 0, the side effects the run made allowed as often as
it made them, any other forbidden) for you to edit: tighten an allowance (POST */refunds at most
once), forbid what must never happen, add checks on the output. An existing contract is kept as
you edited it. The command to run is the one after \`--\`, else the latest stored replay's.

Options:
  -o, --output <dir>   directory to write into, created if missing (default: the current directory)
  --name <name>        file name stem instead of the run name`,
  async run(args) {
    const { options: optionArgs, command } = splitAtDoubleDash(args);
    const { values, positionals } = parseArgs({
      args: optionArgs,
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
    const contractFile = file.replace(/\.tape\.json$/, '.contract.json');
    if (fs.existsSync(contractFile)) {
      process.stderr.write(`tracetape: kept the contract ${contractFile} as it is (yours to edit; delete it to derive a new one)\n`);
      return 0;
    }
    const ranWith = command.length > 0 ? command : await latestReplayCommand(tape.traceId);
    const contract = deriveContract(tape, {
      fixture: path.basename(file).replace(/\.tape\.json$/, ''),
      tapeFile: path.basename(file),
      ...(ranWith ? { command: ranWith } : {}),
    });
    const contractText = serializeContract(contract);
    parseContract(contractText, contractFile); // never write a contract check would refuse
    fs.writeFileSync(contractFile, contractText);
    const allowed = contract.expect.sideEffects?.allowed ?? [];
    process.stderr.write(
      `tracetape: wrote contract ${contractFile}: ${allowed.length} side effect rule(s) read off the recording${ranWith ? '' : ', command `node app.js` (a placeholder: put yours in, or give it after --)'}. ` +
        `Edit it, then: tracetape check ${contractFile}\n`,
    );
    return 0;
  },
};

/** The command the latest stored replay of this run ran: most likely the one the fixture needs. */
async function latestReplayCommand(traceId: string): Promise<string[] | undefined> {
  return withStore(async (store) => {
    const [latest] = await store.listTraces({
      limit: 1,
      attributes: [
        { key: ATTR_TRACETAPE_RUN_TYPE, value: 'replay' },
        { key: ATTR_TRACETAPE_REPLAY_OF, value: traceId },
      ],
    });
    if (!latest) return undefined;
    for (const span of await store.getTraceSpans(latest.traceId)) {
      const stored = parseStoredReplay(span.SpanAttributes);
      if (stored && stored.command.length > 0) return stored.command;
    }
    return undefined;
  });
}

function describeRedaction(redacted: RedactedHeader[]): string {
  if (redacted.length === 0) return 'redaction pass: no unredacted secret headers found (the recorder had redacted them).';
  const names = [...new Set(redacted.map((r) => r.header))].sort().join(', ');
  return `redaction pass: redacted ${redacted.length} header value(s) the recording still carried (${names}); check TRACETAPE_REDACT_HEADERS where it was recorded.`;
}
