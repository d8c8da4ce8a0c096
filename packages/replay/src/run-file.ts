import fs from 'node:fs';

/** One line the register hook appends to TRACETAPE_RUN_FILE: a trace this process recorded. */
export interface RunFileLine {
  traceId: string;
  calls: number;
  name?: string;
  pid?: number;
  /** Spans of this trace the process could not write to the recording log. */
  lostSpans?: number;
  lossReason?: string;
}

/** What every process of a recorded command said of one trace. */
export interface RecordedRun {
  traceId: string;
  calls: number;
  name?: string;
  lostSpans: number;
  lossReasons: string[];
}

export function readRunFile(file: string): RunFileLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunFileLine);
}

/** One entry per trace: a run's child processes record into their parent's trace. */
export function mergeRunLines(lines: readonly RunFileLine[]): RecordedRun[] {
  const runs = new Map<string, RecordedRun>();
  for (const line of lines) {
    const run = runs.get(line.traceId) ?? { traceId: line.traceId, calls: 0, lostSpans: 0, lossReasons: [] };
    run.calls += line.calls;
    run.name ??= line.name;
    run.lostSpans += line.lostSpans ?? 0;
    if (line.lossReason && !run.lossReasons.includes(line.lossReason)) run.lossReasons.push(line.lossReason);
    runs.set(line.traceId, run);
  }
  return [...runs.values()];
}
