import { ROOT_PROCESS_PATH } from './attributes.js';
import type { Tape, TapeEntry } from './tape.js';

const PROCESS_PATH = /^0(\.w?[1-9][0-9]*)*$/;

/** `0`, then one dot-separated step per generation: a child's number, or `w` and a worker's number. */
export function isProcessPath(value: string): boolean {
  return PROCESS_PATH.test(value);
}

export function processOfEntry(entry: Pick<TapeEntry, 'process'>): string {
  return entry.process ?? ROOT_PROCESS_PATH;
}

/** Every process path a tape knows: the first process, then the others in the order they were recorded. */
export function processPathsOf(tape: Pick<Tape, 'processes'>): string[] {
  return [ROOT_PROCESS_PATH, ...Object.keys(tape.processes ?? {})];
}

/** The process that recorded the trace's root span: it replays the inbound exchange and the root's reads. */
export function homeProcessOf(tape: Pick<Tape, 'rootProcess'>): string {
  return tape.rootProcess ?? ROOT_PROCESS_PATH;
}

/**
 * Whether a process of the replayed command takes part in the replayed trace. Every process does
 * in the trace of a whole run (one the recording did not have still answers from the tape, and
 * its reads count as reads beyond the recording). A trace of one request or run() call holds only
 * the processes that worked on it: the others (a cluster's primary and its other workers, the
 * wrapper that started the server) stand by, their reads real and not counted.
 */
export function takesPartIn(tape: Pick<Tape, 'processes' | 'rootProcess' | 'rootKind'>, processPath: string): boolean {
  if (!tape.processes || (tape.rootKind ?? 'process') === 'process') return true;
  return processPath === homeProcessOf(tape) || processPath in tape.processes;
}

/**
 * The part of a tape one process of the replayed run answers from: its own entries (step numbers
 * kept, so reports and --break-at speak of the whole tape) and its own clock and random reads. The
 * process that recorded the root span (the first, unless `rootProcess` names another) gets the
 * root's reads and the inbound exchange of a server trace; every other process replays as a
 * process run of its own. A tape without `processes` was recorded by one process (or before
 * processes were told apart), so every process gets all of it, as it always did.
 */
export function tapeOfProcess(tape: Tape, processPath: string): Tape {
  if (!tape.processes) return tape;
  const { processes: _processes, rootProcess: _home, ...rest } = tape;
  const entries = tape.entries.filter((entry) => processOfEntry(entry) === processPath);
  if (processPath === homeProcessOf(tape)) return { ...rest, entries };
  const own = tape.processes[processPath];
  const { nondeterminism: _first, inbound: _inbound, ...shared } = rest;
  return {
    ...shared,
    entries,
    rootKind: 'process',
    rootName: own?.runName ?? tape.rootName,
    ...(own?.nondeterminism ? { nondeterminism: own.nondeterminism } : {}),
  };
}
