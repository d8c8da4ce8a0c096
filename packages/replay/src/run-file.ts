import fs from 'node:fs';

/** One line the register hook appends to TRACETAPE_RUN_FILE: a trace this process recorded. */
export interface RunFileLine {
  traceId: string;
  calls: number;
  name?: string;
}

export function readRunFile(file: string): RunFileLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunFileLine);
}
