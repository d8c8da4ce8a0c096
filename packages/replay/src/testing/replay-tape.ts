import { AsyncLocalStorage } from 'node:async_hooks';
import { homeProcessOf, tapeOfProcess, type NondeterminismUsage, type ReplayReport, type Tape } from '@tracetape/core';
import { installSources, NondeterminismPlayer, PlaybackSession } from '@tracetape/instrumentation';
import { judgeByContract, loadContract, type ContractJudgement, type ContractSource } from './contract-source.js';
import { ReplayFailedError, reportFailures } from './replay-failed-error.js';
import { loadTape, type TapeSource } from './tape-source.js';
import { RecordingEndedError } from './recording-ended-error.js';

export interface ReplayTapeOptions {
  /** Also fail when recorded calls were never asked for (the code now does less than it did). */
  strict?: boolean;
  /** Hosts (`host` or `host:port`) whose calls go to the network instead of the tape. */
  liveHosts?: readonly string[];
  /** Headers that enter the input hash; must match the recording's (default: TRACETAPE_HASH_HEADERS, else content-type). */
  hashHeaders?: readonly string[];
  /** Replay a tape file whose checksum is missing or no longer matches (a fixture edited by hand on purpose). */
  allowModifiedTape?: boolean;
  /**
   * Database clients `fn` uses, by package name (`{ pg }`), to answer from the tape too. A test
   * runner loads packages its own way, past the hooks the register hook uses, so the modules are
   * handed over here; without them, a query's connection is blocked like any other socket.
   */
  clients?: Readonly<Record<string, unknown>>;
  /**
   * Judge the run by this fixture contract, as `tracetape check` does: its side-effect rules and
   * file outputs as they are; `exitCode` as 0 when fn returned and 1 when it threw; a `stdout`
   * output against fn's result (a string as it is, anything else as JSON). With a contract, the
   * contract decides (in strict mode when `strict`), and a failed one throws a ReplayFailedError
   * naming its clauses.
   */
  contract?: ContractSource;
  /** Where file outputs of the contract are read from (default: the working directory). */
  cwd?: string;
}

export interface ReplayTapeResult<T> {
  result: T;
  report: ReplayReport;
  /** With a contract: its verdict (always `pass` when replayTape returns) and each clause. */
  judgement?: ContractJudgement;
}

/**
 * Runs `fn` in this process with every outbound HTTP call answered from the tape, and the clock,
 * random and ID reads `fn` makes (Date.now(), new Date(), Math.random(), randomUUID(),
 * randomBytes(), getRandomValues()) answered from the tape's recorded reads, in call order. Then
 * checks the replay: it throws a {@link ReplayFailedError} carrying the divergence report if any
 * call was blocked (and, with `strict`, if any recorded step went unconsumed or `fn` drew more
 * random values or IDs than the recording holds). Playback is process-wide while `fn` runs, so
 * await each replayTape and do not nest them.
 */
export async function replayTape<T>(
  tapeSource: TapeSource,
  fn: () => T | Promise<T>,
  options: ReplayTapeOptions = {},
): Promise<ReplayTapeResult<T>> {
  const loaded = loadTape(tapeSource, { allowModified: options.allowModifiedTape });
  // Read before anything runs: a malformed contract is refused without replaying.
  const contract = options.contract === undefined ? undefined : loadContract(options.contract);
  const { label } = loaded;
  // fn runs in this process, which stands for the one that recorded the trace's root span (the
  // run's first process, or the cluster worker that served a request): the calls and reads that
  // other processes made are theirs, and nothing here starts them under the hook.
  const tape = tapeOfProcess(loaded.tape, homeProcessOf(loaded.tape));
  const hashHeaders = options.hashHeaders ?? hashHeadersFromEnv();
  // A call the recording never answered, its process stopped by a signal, ends the replay here too.
  let recordingEnded: (error: RecordingEndedError) => void = () => undefined;
  const endedAsRecorded = new Promise<never>((_, reject) => (recordingEnded = reject));
  const session = new PlaybackSession({
    tape,
    endAsRecorded: (signal) => recordingEnded(new RecordingEndedError(signal)),
    ...(options.liveHosts ? { liveHosts: options.liveHosts } : {}),
    ...(hashHeaders ? { hashHeaders } : {}),
  });
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  let report: ReplayReport;
  let unpatch: () => void;
  try {
    unpatch = patchClients(session, options.clients ?? {});
  } catch (error) {
    session.dispose();
    throw error;
  }
  const reads = replayReads(tape);
  try {
    outcome = { ok: true, value: await Promise.race([reads.run(fn), endedAsRecorded]) };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    reads.restore();
    unpatch();
    const usage = reads.usage();
    report = { ...session.report(), ...(usage.length > 0 ? { nondeterminism: usage } : {}) };
    session.dispose();
  }
  if (contract) {
    const cwd = options.cwd ?? process.cwd();
    const stdout = !outcome.ok ? '' : typeof outcome.value === 'string' ? outcome.value : (JSON.stringify(outcome.value) ?? '');
    const judgement = judgeByContract(contract, { exitCode: outcome.ok ? 0 : 1, stdout, cwd }, report, tape, options.strict ? 'strict' : 'cassette');
    if (judgement.verdict !== 'pass') {
      const detail = outcome.ok ? undefined : `The code under test threw: ${describe(outcome.error)}`;
      throw new ReplayFailedError(
        { tape: label, report, reasons: [`contract ${contract.fixture}: ${judgement.verdict.toUpperCase()}`, ...judgement.reasons], ...(outcome.ok ? {} : { cause: outcome.error }) },
        detail,
      );
    }
    // A contract that expects a failure (a non-zero exit) has it: fn's error is the expected outcome.
    return { result: outcome.ok ? outcome.value : (undefined as T), report, judgement };
  }
  const reasons = reportFailures(report, options.strict ?? false);
  if (reasons.length > 0) {
    // A blocked call usually surfaces as the code's own error; the divergence explains it better.
    const detail = outcome.ok ? undefined : `The code under test threw: ${describe(outcome.error)}`;
    throw new ReplayFailedError({ tape: label, report, reasons, ...(outcome.ok ? {} : { cause: outcome.error }) }, detail);
  }
  if (!outcome.ok) throw outcome.error;
  return { result: outcome.value, report };
}

interface ReplayedReads {
  run<T>(fn: () => T | Promise<T>): Promise<T>;
  restore(): void;
  usage(): NondeterminismUsage[];
}

/**
 * Patches the clock and random sources for as long as fn runs, answering only the reads made in
 * fn's own async context from the tape: the test runner keeps reading the clock around fn (its
 * timeouts, its durations), concurrently, and those reads are neither fn's nor the recording's.
 * The register hook tells the replayed run by its trace; a test has no trace, its context is fn.
 */
function replayReads(tape: Tape): ReplayedReads {
  const inFn = new AsyncLocalStorage<true>();
  const player = new NondeterminismPlayer(tape.nondeterminism ?? {}, () => inFn.getStore() === true);
  const restore = installSources(player);
  return {
    run: async (fn) => inFn.run(true, fn),
    restore,
    usage: () => player.usage(),
  };
}

/** Each client module given to the door that knows it; the undo of all of them. */
function patchClients(session: PlaybackSession, clients: Readonly<Record<string, unknown>>): () => void {
  const doors = session.instrumentations() as Array<{ moduleName?: string; patchLoaded?: (module: unknown) => () => void }>;
  const undo: Array<() => void> = [];
  for (const [name, module] of Object.entries(clients)) {
    const door = doors.find((candidate) => candidate.moduleName === name && candidate.patchLoaded);
    if (!door?.patchLoaded) {
      const known = doors.map((candidate) => candidate.moduleName).filter(Boolean);
      for (const done of undo) done();
      throw new TypeError(`replayTape: no door replays "${name}" clients; it knows ${known.join(', ')}`);
    }
    undo.push(door.patchLoaded(module));
  }
  return () => {
    for (const done of undo.reverse()) done();
  };
}

function hashHeadersFromEnv(): string[] | undefined {
  const names = (process.env.TRACETAPE_HASH_HEADERS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

