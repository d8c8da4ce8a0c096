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

/**
 * The part of a tape one process of the replayed run answers from: its own entries (step numbers
 * kept, so reports and --break-at speak of the whole tape) and its own clock and random reads. A
 * process other than the first replays as a process run of its own: the inbound exchange of a
 * server trace belongs to the first. A tape without `processes` was recorded by one process (or
 * before processes were told apart), so every process gets all of it, as it always did.
 */
export function tapeOfProcess(tape: Tape, processPath: string): Tape {
  if (!tape.processes) return tape;
  const { processes: _processes, ...rest } = tape;
  const entries = tape.entries.filter((entry) => processOfEntry(entry) === processPath);
  if (processPath === ROOT_PROCESS_PATH) return { ...rest, entries };
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
