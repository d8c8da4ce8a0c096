import { describe, expect, it } from 'vitest';
import { tapeFromRows } from '../src/tape-builder.js';
import { row, TRACE } from './span-rows.js';

const CALLER = 'cccccccccccccccc';
const inbound = {
  'tracetape.inbound.request': JSON.stringify({ method: 'POST', target: '/orders/42', headers: [], body: { encoding: 'utf8', data: '', size: 0 }, complete: true }),
  'tracetape.inbound.response': JSON.stringify({ status: 200, statusText: 'OK', headers: [], complete: true }),
  'tracetape.nondeterminism': JSON.stringify({ uuid: ['u-1'] }),
};

describe('the root of a trace', () => {
  it("is the server span that recorded the inbound request, not the app's own server span beside it", () => {
    // An app with an HTTP instrumentation of its own: its server span first, tracetape's inside
    // it, both under the caller's span, which is not in the trace here.
    const tape = tapeFromRows(TRACE, [
      row('00000000000000a1', CALLER, 'POST', 0, undefined),
      row('00000000000000b1', CALLER, 'POST', 1, undefined, inbound),
      row('00000000000000b2', '00000000000000b1', 'load', 2, undefined),
    ]);
    expect(tape.rootSpanId).toBe('00000000000000b1');
    expect(tape.inbound?.request.target).toBe('/orders/42');
    expect(tape.nondeterminism).toEqual({ uuid: ['u-1'] });
  });

  it("is tracetape's server span under the app's own for a request that came with no caller", () => {
    const app = row('00000000000000a1', '', 'POST', 0, undefined);
    const tape = tapeFromRows(TRACE, [
      { ...app, SpanKind: 'Server' },
      { ...row('00000000000000b1', '00000000000000a1', 'POST', 1, undefined, inbound), SpanKind: 'Server' },
    ]);
    expect(tape.rootSpanId).toBe('00000000000000b1');
    expect(tape.rootKind).toBe('server');
    expect(tape.nondeterminism).toEqual({ uuid: ['u-1'] });
  });

  it('stays the run span of a script that made a request to a server of its own', () => {
    const tape = tapeFromRows(TRACE, [
      row('00000000000000a1', '', 'script.mjs', 0, undefined, { 'tracetape.run': 'process', 'tracetape.nondeterminism': '{"random":[0.5]}' }),
      { ...row('00000000000000b1', '00000000000000a1', 'POST', 1, undefined, inbound), SpanKind: 'Server' },
    ]);
    expect(tape.rootSpanId).toBe('00000000000000a1');
    expect(tape.rootKind).toBe('process');
  });

  it('is the first span whose parent is not in the trace when none recorded a request', () => {
    const tape = tapeFromRows(TRACE, [
      row('00000000000000a2', '00000000000000a1', 'step', 1, undefined),
      row('00000000000000a1', CALLER, 'job', 0, undefined, { 'tracetape.nondeterminism': '{"random":[0.5]}' }),
    ]);
    expect(tape.rootSpanId).toBe('00000000000000a1');
    expect(tape.nondeterminism).toEqual({ random: [0.5] });
  });
});
