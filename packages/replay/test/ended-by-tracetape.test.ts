import { describe, expect, it } from 'vitest';
import { endedByTracetape } from '../src/child-process.js';

describe('endedByTracetape', () => {
  const report = { endedAsRecorded: { signal: 'SIGINT' as const, step: 3 } };

  it('holds nothing against a command ended by the signal the hook raised as its recording ended', () => {
    expect(endedByTracetape({ exitCode: 130, signal: 'SIGINT' }, report)).toBe(true);
    // Under npm or a shell the process tree reports the signal as an exit code.
    expect(endedByTracetape({ exitCode: 130, signal: null }, report)).toBe(true);
    expect(endedByTracetape({ exitCode: 143, signal: 'SIGTERM', stoppedBy: 'SIGTERM' }, {})).toBe(true);
  });

  it("takes the first process's exit as its answer when the hook ended one of its children", () => {
    // A wrapper (npm, a shell script) that exits 1 because its child died by the signal.
    const child = { endedAsRecorded: { signal: 'SIGINT' as const, step: 3, process: '0.1' } };
    expect(endedByTracetape({ exitCode: 1, signal: null }, child)).toBe(true);
    expect(endedByTracetape({ exitCode: 1, signal: null }, { endedAsRecorded: { ...child.endedAsRecorded, process: '0' } })).toBe(false);
  });

  it('holds a failure against a command that ended otherwise', () => {
    expect(endedByTracetape({ exitCode: 1, signal: null }, report)).toBe(false);
    expect(endedByTracetape({ exitCode: 143, signal: 'SIGTERM' }, report)).toBe(false);
    // No recorded ending: a command killed by SIGINT failed.
    expect(endedByTracetape({ exitCode: 130, signal: 'SIGINT' }, {})).toBe(false);
    expect(endedByTracetape({ exitCode: 130, signal: 'SIGINT' }, undefined)).toBe(false);
  });
});
