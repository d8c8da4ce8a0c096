import fs from 'node:fs';

/** One line the register hook appends to TRACETAPE_RUN_FILE: a trace this process recorded. */
export interface RunFileLine {
  traceId: string;
  calls: number;
  name?: string;
  pid?: number;
  /** The process path in the run (`0`, `0.1`, `0.w1`…); absent from a hook older than process paths. */
  process?: string;
  /** Spans of this trace the process could not write to the recording log. */
  lostSpans?: number;
  lossReason?: string;
  /**
   * Calls this process recorded in traces past the ones it lists (a server recorded for long
   * starts a trace per request; a process lists its first 10,000): in the store, not in the file.
   */
  unlistedCalls?: number;
  /** Why this process's run was not recorded (a sampler left it out, the SDK was off), and what to do. */
  notRecorded?: string;
}

/** What every process of a recorded command said of one trace. */
export interface RecordedRun {
  traceId: string;
  calls: number;
  name?: string;
  lostSpans: number;
  lossReasons: string[];
  /** Why processes of the run were not recorded; empty when every one was. */
  notRecorded: string[];
}

export function readRunFile(file: string): RunFileLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunFileLine);
}

/**
 * One entry per trace: a run's child processes record into their parent's trace. The run is named
 * after the first of its processes that made calls (a wrapper such as npm makes none: the app it
 * starts names the run), else after its first process.
 */
export function mergeRunLines(lines: readonly RunFileLine[]): RecordedRun[] {
  const runs = new Map<string, RecordedRun>();
  const ordered = [...lines].sort((a, b) => Number(b.calls > 0) - Number(a.calls > 0) || compareProcessPaths(a.process, b.process));
  for (const line of ordered) {
    const run = runs.get(line.traceId) ?? { traceId: line.traceId, calls: 0, lostSpans: 0, lossReasons: [], notRecorded: [] };
    run.calls += line.calls;
    run.name ??= line.name;
    run.lostSpans += line.lostSpans ?? 0;
    if (line.lossReason && !run.lossReasons.includes(line.lossReason)) run.lossReasons.push(line.lossReason);
    if (line.notRecorded && !run.notRecorded.includes(line.notRecorded)) run.notRecorded.push(line.notRecorded);
    runs.set(line.traceId, run);
  }
  // Traces in the order the processes told them, as before names were chosen.
  const order = [...new Set(lines.map((line) => line.traceId))];
  return order.map((traceId) => runs.get(traceId)!);
}

/** Calls recorded in traces no line of the run file lists, over all its processes. */
export function unlistedCalls(lines: readonly RunFileLine[]): number {
  return lines.reduce((sum, line) => sum + (line.unlistedCalls ?? 0), 0);
}

/** Parents before their children, siblings in the order they were started. */
function compareProcessPaths(a = '0', b = '0'): number {
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const [x, y] = [as[i]!, bs[i]!];
    if (x === y) continue;
    // Children (`3`) before workers (`w1`), then by number.
    const [xw, yw] = [x.startsWith('w'), y.startsWith('w')];
    if (xw !== yw) return xw ? 1 : -1;
    return Number(x.replace('w', '')) - Number(y.replace('w', ''));
  }
  return as.length - bs.length;
}
