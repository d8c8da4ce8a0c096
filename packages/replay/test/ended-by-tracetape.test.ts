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

  it("takes a wrapper's exit 1 as its answer when the hook ended its child, and nothing else", () => {
    // A wrapper (npm, a shell script) that exits 1 because its child died by the signal.
    const child = { endedAsRecorded: { signal: 'SIGINT' as const, step: 3, process: '0.1' } };
    expect(endedByTracetape({ exitCode: 1, signal: null }, child)).toBe(true);
    expect(endedByTracetape({ exitCode: 130, signal: null }, child)).toBe(true);
    // A crash of the wrapper itself (exit 2, another signal) is its own failure.
    expect(endedByTracetape({ exitCode: 2, signal: null }, child)).toBe(false);
    expect(endedByTracetape({ exitCode: 143, signal: 'SIGTERM' }, child)).toBe(false);
    // The first process ended by the hook: exit 1 is no answer to a signal.
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
