import { describe, expect, it } from 'vitest';
import type { StoredReplay } from '@tracetape/core';
import { replaySummary } from '../src/views/replay-detail.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function stored(extra: Partial<StoredReplay>): StoredReplay {
  return {
    report: { traceId: TRACE, served: [], unconsumed: [], blocked: [], sideEffectsSuppressed: [], endedAsRecorded: { signal: 'SIGINT', step: 4, process: '0.1' } },
    command: ['node', 'wrapper.mjs', 'worker'],
    exitCode: 2,
    outcome: 'diverged',
    ...extra,
  };
}

describe('replaySummary', () => {
  it("says the exit code was tracetape's doing only when tracetape replay judged it so", () => {
    // A wrapper that crashed (exit 2) after its child was ended as recorded: its exit is its own.
    expect(replaySummary(TRACE, '2026-12-07T00:00:00Z', stored({ exitEndedByTracetape: false })).exitEndedByTracetape).toBe(false);
    // The same wrapper exiting 1 as its child died by the signal: forgiven by the replay.
    const forgiven = replaySummary(TRACE, '2026-12-07T00:00:00Z', stored({ exitCode: 1, exitEndedByTracetape: true, outcome: 'passed' }));
    expect(forgiven.exitEndedByTracetape).toBe(true);
    expect(forgiven.endedAsRecorded).toEqual({ signal: 'SIGINT', step: 4, process: '0.1' });
  });

  it('holds the exit code of a replay stored before the judgement was kept against it', () => {
    expect(replaySummary(TRACE, '2026-12-07T00:00:00Z', stored({})).exitEndedByTracetape).toBe(false);
  });
});
