import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { checkClaims, checkTapeSize, ConfigError, findRepeatedSideEffects, parseTape, serializeTape, TracetapeError } from '@tracetape/core';
import { paletteFor } from '../colour.js';
import { findClaimsFile } from '../claims-file.js';
import { renderFindings } from '../findings-report.js';
import { renderStep } from '../step-detail.js';
import { parseStepNumber, requireStepOnTape } from '../step-args.js';
import { buildTape } from '../tape-builder.js';
import { renderTimeline } from '../timeline.js';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

export const tapeCommand: Command = {
  name: 'tape',
  summary: 'write the playback tape of a trace, or print its timeline',
  usage: `tracetape tape <traceId> [-o <file>] [--json] [--step N] [--claims <file>]
tracetape tape --sign <file>

Rebuilds the playback tape of a trace from the store. Without options, prints its timeline (one
line per recorded call, numbered as replay names them, with its start after the run's, and for
LLM calls the model, tokens, the tools called and the start of the prompt), then its findings: a
side effect done again (the refund retried after a timeout), or safely retried with the same
Idempotency-Key; and, with a claims file, a final answer that claims what no call did ("I've
submitted your refund" with no refund call).
<traceId> may be the first 8 or more hex digits of the ID, when they name one trace.

Options:
  --step N              print step N whole: request and response decoded (JSON indented, streamed
                        chunks with their timing), its input hash, and for an LLM call the model,
                        tools and messages
  -o, --output <file>   write the tape as JSON to <file> (replay it with \`tracetape replay --tape <file> -- ...\`)
  --json                print the tape as JSON on stdout
  --claims <file>       the phrases-to-calls mapping the final answer is checked against (default
                        TRACETAPE_CLAIMS, or ./tracetape.claims.json when there is one); a heuristic:
                        each finding says what it matched and why
  --sign <file>         re-sign a tape file you edited by hand: checks its structure, then writes it
                        back with a fresh checksum so \`tracetape replay --tape\` accepts it`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        json: { type: 'boolean', default: false },
        sign: { type: 'string' },
        step: { type: 'string' },
        claims: { type: 'string' },
      },
      strict: true,
    });
    if (values.sign !== undefined) return signTapeFile(values.sign);
    const traceId = positionals[0];
    if (!traceId) throw new ConfigError('Which trace? Usage: tracetape tape <traceId> [-o file]. List traces with `tracetape traces`.');
    const step = values.step === undefined ? undefined : parseStepNumber(values.step, '--step');
    const tape = await withStore((store) => buildTape(store, traceId));
    if (step !== undefined) {
      requireStepOnTape(tape, step, '--step');
      process.stdout.write(`${renderStep(tape, tape.entries.find((entry) => entry.step === step)!, paletteFor(process.stdout))}\n`);
    } else if (values.output) {
      fs.writeFileSync(values.output, serializeTape(tape, { compact: true }));
      process.stderr.write(`tracetape: wrote ${tape.entries.length} step(s) of trace ${tape.traceId} to ${values.output}\n`);
    } else if (values.json) {
      process.stdout.write(serializeTape(tape));
    } else {
      const colour = paletteFor(process.stdout);
      const claims = findClaimsFile(values.claims);
      const findings = { repeated: findRepeatedSideEffects(tape), ...(claims && { claims: { file: claims.file, check: checkClaims(tape, claims.config) } }) };
      process.stdout.write(`${renderTimeline(tape, colour)}\n\n${renderFindings(findings, colour)}\n`);
    }
    return 0;
  },
};

/** Hand-editing a tape is legitimate; re-signing records that the edit was meant. */
function signTapeFile(file: string): number {
  let text: string;
  try {
    // Refused by its size before it is read, as replay does: a tape is parsed whole.
    checkTapeSize(fs.statSync(file).size, file);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof TracetapeError) throw error;
    throw new ConfigError(`Cannot read the tape file ${file}: ${(error as Error).message}.`);
  }
  let previous = 'signed';
  // Structure is still checked (parseTape always does): a broken tape is not signed.
  const tape = parseTape(text, file, { allowModified: true, onWarning: () => (previous = 'unsigned or modified') });
  fs.writeFileSync(file, serializeTape(tape, { compact: true }));
  process.stderr.write(`tracetape: signed ${file} (${tape.entries.length} step(s); it was ${previous})\n`);
  return 0;
}
