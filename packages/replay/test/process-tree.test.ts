import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SpanRow } from '@tracetape/clickhouse';
import { parseTape, serializeTape, takesPartIn, tapeOfProcess, type ReplayReport, type Tape } from '@tracetape/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readReplayReport } from '../src/replay-report-lines.js';
import { mergeRunLines } from '../src/run-file.js';
import { tapeFromRows } from '../src/tape-builder.js';
import { row, TRACE } from './span-rows.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-process-tree-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function call(spanId: string, parent: string, at: number, processPath: string | undefined, url: string): SpanRow {
  return row(spanId, parent, 'GET', at, processPath, {
    'tracetape.input.hash': spanId.padEnd(64, '0'),
    'tracetape.request': JSON.stringify({ normalized: { method: 'GET', url, headers: {} }, headers: [] }),
    'tracetape.response': JSON.stringify({ status: 200, statusText: 'OK', headers: [], complete: true }),
  });
}

const run = (record: object) => ({ 'tracetape.run': 'process', 'tracetape.nondeterminism': JSON.stringify(record) });

// A parent (no resource attribute: recorded before process paths, or by another pipeline), its child and its worker.
const rows = [
  row('00000000000000a0', '', 'app.mjs', 0, undefined, run({ random: [0.5] })),
  call('00000000000000a1', '00000000000000a0', 1, undefined, 'http://up.test/parent'),
  row('00000000000000b0', '00000000000000a0', 'child.mjs', 2, '0.1', run({ uuid: ['u-child'] })),
  call('00000000000000b1', '00000000000000b0', 3, '0.1', 'http://up.test/child'),
  row('00000000000000c0', '00000000000000a0', 'worker.mjs', 4, '0.w1', run({ uuid: ['u-worker'] })),
  call('00000000000000c1', '00000000000000c0', 5, '0.w1', 'http://up.test/worker'),
];

describe('the tape of a run of several processes', () => {
  const tape = tapeFromRows(TRACE, rows);

  it("marks each call with its process and keeps each process's reads apart", () => {
    expect(tape.rootName).toBe('app.mjs');
    expect(tape.entries.map((entry) => [entry.step, entry.process])).toEqual([
      [1, undefined],
      [2, '0.1'],
      [3, '0.w1'],
    ]);
    expect(tape.nondeterminism).toEqual({ random: [0.5] });
    expect(tape.processes).toEqual({ '0.1': { runName: 'child.mjs', nondeterminism: { uuid: ['u-child'] } }, '0.w1': { runName: 'worker.mjs', nondeterminism: { uuid: ['u-worker'] } } });
    // Signed and checked like any tape.
    expect(parseTape(serializeTape(tape))).toEqual(tape);
  });

  it('gives each process only its own steps (numbered as on the whole tape) and reads', () => {
    const child = tapeOfProcess(tape, '0.1');
    expect(child.entries.map((entry) => entry.step)).toEqual([2]);
    expect(child).toMatchObject({ rootKind: 'process', rootName: 'child.mjs', nondeterminism: { uuid: ['u-child'] } });
    expect(child.processes).toBeUndefined();
    expect(tapeOfProcess(tape, '0').entries.map((entry) => entry.step)).toEqual([1]);
    expect(tapeOfProcess(tape, '0.2').entries).toEqual([]);
  });

  it('stays as it always was for a run of one process, which every process then replays whole', () => {
    const single = tapeFromRows(TRACE, rows.slice(0, 2));
    expect(single.processes).toBeUndefined();
    expect(single.entries[0]!.process).toBeUndefined();
    expect(tapeOfProcess(single, '0.1')).toBe(single);
  });

  it('refuses a process path that is none', () => {
    const bad = JSON.parse(serializeTape(tape)) as Record<string, unknown>;
    (bad.entries as Array<Record<string, unknown>>)[1]!.process = '1.x';
    expect(() => parseTape(JSON.stringify(bad), 'bad.json', { allowModified: true })).toThrow(/entries\[1\]\.process must be a process path/);
  });

  it('reports a replay of all its processes as one, unconsumed steps of a process that never ran included', () => {
    const report = (served: number[], nondeterminism: ReplayReport['nondeterminism']): ReplayReport => ({
      traceId: TRACE,
      served: served.map((step, i) => ({ step, callIndex: i + 1, method: 'GET', url: 'u', status: 200, sideEffect: false })),
      unconsumed: [],
      blocked: [],
      sideEffectsSuppressed: [],
      ...(nondeterminism ? { nondeterminism } : {}),
    });
    const file = path.join(scratch, 'report.jsonl');
    // The parent and the child wrote their lines; the worker never started.
    fs.writeFileSync(
      file,
      [
        { pid: 1, process: '0', report: report([1], [{ source: 'random', recorded: 1, served: 1, extra: 0 }]) },
        { pid: 2, process: '0.1', report: report([2], [{ source: 'uuid', recorded: 1, served: 1, extra: 0 }]) },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n') + '\n',
    );
    const merged = readReplayReport(file, tape)!;
    expect(merged.served.map((step) => step.step)).toEqual([1, 2]);
    expect(merged.unconsumed).toEqual([{ step: 3, method: 'GET', url: 'http://up.test/worker', process: '0.w1' }]);
    expect(merged.nondeterminism).toEqual([
      { source: 'random', recorded: 1, served: 1, extra: 0 },
      { source: 'uuid', recorded: 1, served: 1, extra: 0 },
    ]);
  });
});

// A request a node:cluster worker (process 0.2) served, its handler running a child process
// (0.2.1): the primary (0) and the other worker (0.1) have no span in this trace.
const servedByWorker = [
  {
    ...row('00000000000000d0', '', 'POST', 0, '0.2', {
      'tracetape.nondeterminism': JSON.stringify({ uuid: ['u-request'] }),
      'tracetape.inbound.request': JSON.stringify({ normalized: { method: 'POST', url: 'http://127.0.0.1:8080/refund', headers: {} }, headers: [], target: '/refund', complete: true }),
      'tracetape.inbound.response': JSON.stringify({ status: 200, statusText: 'OK', headers: [], complete: true }),
    }),
    SpanKind: 'Server',
  },
  call('00000000000000d1', '00000000000000d0', 1, '0.2', 'http://up.test/lookup'),
  row('00000000000000e0', '00000000000000d0', 'convert.mjs', 2, '0.2.1', run({ random: [0.25] })),
  call('00000000000000e1', '00000000000000e0', 3, '0.2.1', 'http://up.test/convert'),
];

describe('the tape of a request that a cluster worker served', () => {
  const tape = tapeFromRows(TRACE, servedByWorker);

  it('names the process that recorded its root span, and survives a tape file', () => {
    expect(tape).toMatchObject({ rootKind: 'server', rootName: 'POST', rootProcess: '0.2' });
    expect(parseTape(serializeTape(tape))).toEqual(tape);
    const bad = { ...(JSON.parse(serializeTape(tape)) as Record<string, unknown>), rootProcess: 'worker 2' };
    expect(() => parseTape(JSON.stringify(bad), 'bad.json', { allowModified: true })).toThrow(/rootProcess must be a process path/);
  });

  it('hands the inbound exchange and the request\'s reads to that process, not to the first', () => {
    const worker = tapeOfProcess(tape, '0.2');
    expect(worker).toMatchObject({ rootKind: 'server', rootName: 'POST', nondeterminism: { uuid: ['u-request'] } });
    expect(worker.inbound?.request.target).toBe('/refund');
    expect(worker.entries.map((entry) => entry.step)).toEqual([1]);
    expect(worker.rootProcess).toBeUndefined();

    const primary = tapeOfProcess(tape, '0');
    expect(primary.inbound).toBeUndefined();
    expect(primary.nondeterminism).toBeUndefined();
    expect(primary).toMatchObject({ rootKind: 'process', entries: [] });

    expect(tapeOfProcess(tape, '0.2.1')).toMatchObject({ rootKind: 'process', rootName: 'convert.mjs', nondeterminism: { random: [0.25] } });
  });

  it('has the processes that took no part in the request stand by, while every process takes part in a whole run', () => {
    expect(['0', '0.1', '0.2', '0.2.1', '0.3'].map((processPath) => takesPartIn(tape, processPath))).toEqual([false, false, true, true, false]);
    const wholeRun = tapeFromRows(TRACE, rows);
    expect(['0', '0.1', '0.w1', '0.3'].every((processPath) => takesPartIn(wholeRun, processPath))).toBe(true);
  });

  it("reports the worker's inbound outcome, whichever process wrote its line first", () => {
    const file = path.join(scratch, 'worker-report.jsonl');
    const line = (pid: number, processPath: string, inbound?: ReplayReport['inbound']) =>
      JSON.stringify({ pid, process: processPath, report: { traceId: TRACE, served: [], unconsumed: [], blocked: [], sideEffectsSuppressed: [], ...(inbound ? { inbound } : {}) } });
    const outcome = { method: 'POST', url: 'http://127.0.0.1:8080/refund', recordedStatus: 200, replayedStatus: 200, match: true, diff: [] };
    fs.writeFileSync(file, [line(1, '0.1'), line(2, '0.2', outcome), line(3, '0')].join('\n') + '\n');
    expect(readReplayReport(file, tape)!.inbound).toEqual(outcome);
  });
});

describe('the run file of a run of several processes', () => {
  it('names the run after its first process that made calls: the app a wrapper started, not the wrapper', () => {
    const runs = mergeRunLines([
      { traceId: TRACE, calls: 1, name: 'child.mjs', process: '0.1.1' },
      { traceId: TRACE, calls: 2, name: 'app.mjs', process: '0.1' },
      { traceId: TRACE, calls: 0, name: 'wrapper.mjs', process: '0' },
    ]);
    expect(runs).toEqual([{ traceId: TRACE, calls: 3, name: 'app.mjs', lostSpans: 0, lossReasons: [], notRecorded: [] }]);
    const quiet: Tape['traceId'] = 'b'.repeat(32);
    expect(mergeRunLines([{ traceId: quiet, calls: 0, name: 'child.mjs', process: '0.1' }, { traceId: quiet, calls: 0, name: 'app.mjs', process: '0' }])[0]!.name).toBe('app.mjs');
  });
});
