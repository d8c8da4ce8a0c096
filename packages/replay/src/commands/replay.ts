import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SpanRow } from '@tracetape/clickhouse';
import { ConfigError, parseModelDriftAllowances, type ReplayReport, type StoredReplay, type Tape } from '@tracetape/core';
import { endedByTracetape, runHooked } from '../child-process.js';
import { paletteFor } from '../colour.js';
import { prepareDebugging } from '../replay-debugging.js';
import { inboundFailed } from '../inbound-report.js';
import { STOP_AFTER_ANSWER_MS, watchForInboundOutcome } from '../inbound-watch.js';
import { renderReport } from '../report.js';
import { readReplayReport } from '../replay-report-lines.js';
import { buildTape } from '../tape-builder.js';
import { readTapeFile } from '../tape-file.js';
import { TapeHandover } from '../tape-handover.js';
import { makeScratchDir } from '../temp-files.js';
import { splitAtDoubleDash, type Command } from './command.js';
import { storeExists, withStore } from './store-access.js';
import { storedReplaySpan } from '../stored-replay.js';

export const replayCommand: Command = {
  name: 'replay',
  summary: 're-run a command against the tape of a trace (or a tape file)',
  usage: `tracetape replay <traceId> [options] -- <command...>
tracetape replay --tape <file> [options] -- <command...>

<traceId> may be the first 8 or more hex digits of the ID, when they name one trace.

Re-runs the command with every outbound call answered from the recording: nothing reaches the
network, side effects are not repeated. A call the recording does not hold is blocked (it fails
in the app) and reported with the closest recorded request and a field-by-field diff.
A trace rooted at an inbound HTTP request (a server) is replayed by sending that request to the
first HTTP server of the process that served it (the app itself, a node:cluster worker, the app
npm started) once it listens; its response is compared with the recorded one (status and body),
and the server is stopped after answering. What else of the command still runs 2 s later (a
cluster's primary) is stopped with SIGTERM.
Exits with the command's exit code, or 1 if any call was blocked or the server answered differently.

Options:
  --tape <file>          replay from a tape file (written by \`tracetape tape <traceId> -o <file>\`)
  --allow-modified-tape  replay a tape file whose checksum is missing or no longer matches (a fixture
                         edited by hand on purpose); without it such a tape is refused, naming the
                         changed entry. \`tracetape tape --sign <file>\` re-signs an edited tape instead
  --strict               also fail if recorded calls were never asked for, or the code drew more
                         random numbers, IDs or bytes than the recording holds
  --live-host <host>     let calls to this host (host or host:port) go to the network; repeatable
  --allow-model-drift <recorded>=<current>
                         serve an LLM call recorded with model <recorded> to the same call asking
                         <current> (or other sampling parameters); without it such a call is
                         blocked as a model drift. Repeatable
  --report <file>        also write the replay report as JSON to <file> (for test helpers and CI)
  --verbose              list every suppressed side effect on a line of its own (by default they are
                         counted by method and URL path on one line)
  --break-at <step>      pause the app under the Node inspector just before step <step> is answered
                         (attach DevTools via chrome://inspect; port: NODE_OPTIONS=--inspect-port=N)
  --override <step>=<file>
                         answer step <step> with the response in <file>: a JSON envelope
                         {"status"?, "headers"?, "body"?} or a raw body; repeatable
  --then-live            serve what the tape holds, let every other call go to the network, and
                         record the run as a new trace linked to the replayed one
  --no-store             do not keep this replay in the store. By default what it observed (the
                         report, the command, its exit code) is stored as a trace of its own, linked
                         to the replayed one, for \`tracetape ui\` and SQL; a replay of a tape file
                         is stored when a store exists`,
  async run(args) {
    const { options, command } = splitAtDoubleDash(args);
    const { values, positionals } = parseArgs({
      args: options,
      allowPositionals: true,
      options: {
        tape: { type: 'string' },
        'allow-modified-tape': { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        'live-host': { type: 'string', multiple: true },
        'allow-model-drift': { type: 'string', multiple: true },
        report: { type: 'string' },
        'break-at': { type: 'string' },
        override: { type: 'string', multiple: true },
        'then-live': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        store: { type: 'boolean', default: true },
      },
      allowNegative: true,
      strict: true,
    });
    const traceId = positionals[0];
    if (!traceId && !values.tape) throw new ConfigError('Replay what? Give a trace ID or --tape <file>. List traces with `tracetape traces`.');
    const allowDrift = values['allow-model-drift'] ?? [];
    parseModelDriftAllowances(allowDrift, '--allow-model-drift'); // refuse a malformed one before anything runs
    if (command.length === 0) throw new ConfigError('Nothing to run: put the command after `--`, e.g. `tracetape replay <traceId> -- node app.js`.');

    const debuggingOptions = { breakAt: values['break-at'], overrides: values.override ?? [], thenLive: values['then-live'] };
    // A node app with nothing to check against the tape first starts at once: its hook loads while
    // the store is opened and the tape read, and waits for the tape (tape-handover.ts). Anything
    // else (a wrapper such as npm, whose own steps would run before a bad trace ID is known; the
    // debugger's options, checked against the tape) starts once the tape is written.
    const startEarly = !values.tape && isNodeProgram(command[0]!) && debuggingOptions.breakAt === undefined && debuggingOptions.overrides.length === 0 && !debuggingOptions.thenLive;
    const readTape = (): Promise<Tape> =>
      values.tape ? Promise.resolve(readTapeFile(values.tape, { allowModified: values['allow-modified-tape'] })) : withStore((store) => buildTape(store, traceId!));
    const tapeBeforeStart = startEarly ? undefined : await readTape();

    const scratch = makeScratchDir();
    try {
      const handover = new TapeHandover(scratch.file('tape.json'));
      const reportFile = scratch.file('report.json');
      let debugging = tapeBeforeStart ? prepareDebugging(tapeBeforeStart, debuggingOptions, scratch.file('run.jsonl')) : undefined;
      const env: Record<string, string> = {
        TRACETAPE_MODE: 'playback',
        ...(debugging ? handover.writtenEnv(handover.deliver(debugging.tape)) : handover.pendingEnv()),
        TRACETAPE_REPORT_FILE: reportFile,
        TRACETAPE_COMMAND_LISTENERS: scratch.file('listeners.jsonl'),
        ...debugging?.env,
      };
      if (values['live-host']?.length) env.TRACETAPE_LIVE_HOSTS = values['live-host'].join(',');
      if (allowDrift.length) {
        // Added to what the environment already allows, which the child inherits too.
        env.TRACETAPE_ALLOW_MODEL_DRIFT = [process.env.TRACETAPE_ALLOW_MODEL_DRIFT, ...allowDrift].filter(Boolean).join(',');
      }
      const startedMs = Date.now();
      // The bundled hook starts faster; --break-at keeps the hook's own files, for a person in DevTools.
      const inbound = watchForInboundOutcome(reportFile);
      const running = runHooked({
        command,
        env,
        playbackOnly: !values['then-live'] && values['break-at'] === undefined,
        stopAfter: { done: inbound.answered, graceMs: STOP_AFTER_ANSWER_MS },
      });
      // A child that fails to start rejects while the tape is still being read: handled below, not lost meanwhile.
      running.catch(() => undefined);
      if (!debugging) {
        try {
          debugging = prepareDebugging(await readTape(), debuggingOptions, scratch.file('run.jsonl'));
          handover.deliver(debugging.tape);
        } catch (error) {
          // The hook is still waiting, so nothing of the app ran: it exits, and the reason is this error.
          handover.fail();
          await running.catch(() => undefined);
          inbound.close();
          throw error;
        }
      }
      const outcome = await running.finally(() => inbound.close());
      const endedMs = Date.now();
      if (outcome.stoppedBy) {
        const answeredIn = await inbound.answered;
        process.stderr.write(
          `tracetape: process ${answeredIn} answered the replayed request and ended; the command's other processes (such as a cluster's primary and its other workers) were still running ${STOP_AFTER_ANSWER_MS / 1000} s later and were stopped with ${outcome.stoppedBy}\n`,
        );
      }
      const report = readReplayReport(reportFile, debugging.tape);
      if (!report) {
        // The hook also stops a process before the app runs when it cannot replay it (a
        // misconfiguration, an SDK started before it), having said why.
        process.stderr.write('tracetape: nothing was replayed: no process of the command ran the app with the hook (none started with it, or the hook stopped it before the app ran, saying why above).\n');
        return outcome.exitCode || 1;
      }
      if (values.report) fs.writeFileSync(values.report, JSON.stringify(report, null, 2));
      process.stderr.write(`${renderReport(report, { verbose: values.verbose, colour: paletteFor(process.stderr) })}\n`);
      for (const line of debugging.describeRecording(report)) process.stderr.write(`${line}\n`);
      // A command tracetape stopped did not fail, nor one the hook ended as its recording ended:
      // their exit codes say how they were stopped.
      const exitEndedByTracetape = endedByTracetape(outcome, report);
      const exitCode = replayExitCode(report, exitEndedByTracetape ? 0 : outcome.exitCode, values.strict);
      if (values.store && (!values.tape || storeExists())) {
        const replay: StoredReplay = { report, command, exitCode: outcome.exitCode, exitEndedByTracetape, outcome: exitCode === 0 ? 'passed' : 'diverged' };
        await keepReplay(storedReplaySpan(debugging.tape, replay, startedMs, endedMs));
      }
      return exitCode;
    } finally {
      scratch.dispose();
    }
  },
};

/** `node`, or a path to a Node executable: a process the hook starts in, before anything of the app runs. */
function isNodeProgram(program: string): boolean {
  return program === 'node' || program === process.execPath || path.basename(program) === 'node';
}

/** The command's own failure first; then 1 for anything the replay could not answer as recorded. */
function replayExitCode(report: ReplayReport, commandExitCode: number, strict: boolean): number {
  if (commandExitCode !== 0) return commandExitCode;
  if (report.blocked.length > 0 || report.blockedConnections?.length) return 1;
  if (inboundFailed(report.inbound)) return 1;
  if (strict && (report.unconsumed.length > 0 || hasExtraRandomReads(report))) return 1;
  return 0;
}

/**
 * Stores the replay's span. A store that refuses it costs the user the stored copy, not the
 * replay: its verdict is already printed and is still the exit code, so this only warns.
 */
async function keepReplay(span: SpanRow): Promise<void> {
  try {
    await withStore((store) => store.insert([span], []));
    process.stderr.write(`tracetape: replay stored as trace ${span.TraceId} (\`tracetape ui\` shows it against its recording)\n`);
  } catch (error) {
    process.stderr.write(`tracetape: warning: this replay was not stored (${(error as Error).message}); its report above is all there is of it.\n`);
  }
}

/** Reads of random sources past the recording: the code asked for randomness the run did not use. */
function hasExtraRandomReads(report: ReplayReport): boolean {
  return (report.nondeterminism ?? []).some((usage) => usage.source !== 'clock' && usage.extra > 0);
}
