import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReplayReport } from '@tracetape/core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEntry, makeTape } from '../../core/test/tape-fixtures.js';
import { readReplayReport } from '../src/replay-report-lines.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-report-lines-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tape = makeTape([makeEntry({ step: 1, method: 'GET', url: 'https://queue.test/poll' })]);
const report = (extra: Partial<ReplayReport> = {}): ReplayReport => ({ traceId: tape.traceId, served: [], unconsumed: [], blocked: [], sideEffectsSuppressed: [], ...extra });

function merged(lines: Array<{ process?: string; report: ReplayReport }>): ReplayReport | undefined {
  const file = path.join(dir, `${Math.random()}.jsonl`);
  fs.writeFileSync(file, lines.map((line, i) => JSON.stringify({ pid: 100 + i, ...line })).join('\n') + '\n');
  return readReplayReport(file, tape);
}

describe("the command's report, from its processes' lines", () => {
  it('names the process the hook ended as recorded, when it is not the first', () => {
    const ended = merged([{ process: '0', report: report() }, { process: '0.1', report: report({ endedAsRecorded: { signal: 'SIGINT', step: 4 } }) }]);
    expect(ended?.endedAsRecorded).toEqual({ signal: 'SIGINT', step: 4, process: '0.1' });
  });

  it("prefers the first process's own ending, whichever line came first", () => {
    const ended = merged([
      { process: '0.1', report: report({ endedAsRecorded: { signal: 'SIGINT', step: 4 } }) },
      { process: '0', report: report({ endedAsRecorded: { signal: 'SIGINT', step: 2 } }) },
    ]);
    expect(ended?.endedAsRecorded).toEqual({ signal: 'SIGINT', step: 2 });
  });
});
