import childProcess from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { claimChildStart } from '../../src/child-process/claimed-starts.js';
import { recordChildren } from './record-children.js';

// A door that starts a process for its own calls (the MCP door's stdio server) claims the start:
// the child-process door lets that one start go to Node untouched, and only that one.
describe('claimed child starts', () => {
  it('leaves the first start made under a claim unrecorded, after awaits too, and records the ones after it', async () => {
    const { tape } = await recordChildren(async () => {
      await claimChildStart('mcp', async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await once(childProcess.spawn('sh', ['-c', 'exit 0']), 'close');
        // The claim is spent: a second start in the same context is a call of its own.
        await once(childProcess.spawn('sh', ['-c', 'exit 1']), 'close');
      });
      await once(childProcess.spawn('sh', ['-c', 'exit 2']), 'close');
    });
    expect(tape.entries.map((entry) => entry.response.statusText)).toEqual(['exit 1', 'exit 2']);
  });

  it('starts a claimed child without the run variables this process inherited, as any boundary child', async () => {
    let printed = '';
    await recordChildren(async () => {
      const child = claimChildStart('mcp', () =>
        childProcess.spawn('sh', ['-c', 'echo "[$TRACETAPE_PROCESS_PATH][$TRACEPARENT][$KEPT]"'], {
          env: { PATH: process.env.PATH, TRACETAPE_PROCESS_PATH: '0.3', TRACEPARENT: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', KEPT: 'yes' },
        }),
      );
      child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      await once(child, 'close');
    });
    expect(printed).toBe('[][][yes]\n');
  });
});
