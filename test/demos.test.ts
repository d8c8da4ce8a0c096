import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

// The README's demo commands, run as a new user runs them (the packages are built by the suite's
// setup already): each records, replays, and exits 0 only when the replay matched and touched nothing.
describe('the demos', () => {
  it('npm run demo: the refund answered from the tape, nothing reaching the shop', { timeout: 240_000 }, async () => {
    const demo = await runProcess(process.execPath, [path.join(REPO_ROOT, 'examples/demo.mjs')], { AGENT_STREAM: '0' });
    expect(demo.code, demo.stdout + demo.stderr).toBe(0);
    expect(demo.stdout).toContain('replayed output identical: yes');
    expect(demo.stdout).toContain('requests that reached the shop during the replay: 0');
  });

  it('npm run demo:databases: PostgreSQL and Redis unchanged by the replay', { timeout: 240_000 }, async () => {
    const demo = await runProcess(process.execPath, [path.join(REPO_ROOT, 'examples/demo-databases.mjs')], { AGENT_STREAM: '1' });
    expect(demo.code, demo.stdout + demo.stderr).toBe(0);
    expect(demo.stdout).toContain('replayed output identical: yes');
    expect(demo.stdout).toMatch(/refund rows: 1 after recording, 1 after the replay \(unchanged/);
    expect(demo.stdout).toMatch(/session visits in Redis: 1 after recording, 1 after the replay \(unchanged\)/);
    expect(demo.stdout).toMatch(/postgres\s+INSERT\s+postgres:\/\//);
    expect(demo.stdout).toMatch(/redis\s+HINCRBY\s+redis:\/\//);
  });
});
