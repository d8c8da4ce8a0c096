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

  it('holds a failure against a command that ended otherwise', () => {
    expect(endedByTracetape({ exitCode: 1, signal: null }, report)).toBe(false);
    expect(endedByTracetape({ exitCode: 143, signal: 'SIGTERM' }, report)).toBe(false);
    // No recorded ending: a command killed by SIGINT failed.
    expect(endedByTracetape({ exitCode: 130, signal: 'SIGINT' }, {})).toBe(false);
    expect(endedByTracetape({ exitCode: 130, signal: 'SIGINT' }, undefined)).toBe(false);
  });
});
