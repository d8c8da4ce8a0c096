import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boundaryEnvironment } from '../../src/child-process/boundary-environment.js';
import { readStart, type Starter } from '../../src/child-process/child-start.js';
import { isRunProcess } from '../../src/child-process/node-children.js';

// Which starts are the run's own processes (they fall through to the process propagation and
// replay by running) and which are boundary calls answered from the tape.
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../node_modules/.bin');
const env = { PATH: `${BIN}${path.delimiter}${process.env.PATH}` };

function runProcess(api: Starter, ...args: unknown[]): boolean {
  return isRunProcess(readStart(api, args)!, env);
}

describe('the run\'s own processes', () => {
  it('are Node, scripts Node runs, and shell lines that start one of those', () => {
    expect(runProcess('spawn', process.execPath, ['app.js'])).toBe(true);
    expect(runProcess('execFile', 'node', ['app.js'])).toBe(true);
    expect(runProcess('spawnSync', path.join(BIN, 'tsc'), ['--version'])).toBe(true);
    expect(runProcess('spawn', 'tsc', ['-b'])).toBe(true);
    // npm runs a package script through `sh -c`.
    expect(runProcess('spawn', 'sh', ['-c', 'node server.js'])).toBe(true);
    expect(runProcess('exec', 'cd app && NODE_ENV=test node server.js')).toBe(true);
    expect(runProcess('execSync', 'exec vitest run')).toBe(true);
  });

  it('include a pnpm-style shell shim that hands over to Node', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-shim-'));
    try {
      const shim = path.join(dir, 'tool');
      fs.writeFileSync(shim, '#!/bin/sh\nbasedir=$(dirname "$0")\nif [ -x "$basedir/node" ]; then\n  exec "$basedir/node" "$basedir/../tool/cli.js" "$@"\nelse\n  exec node "$basedir/../tool/cli.js" "$@"\nfi\n', { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'other'), '#!/bin/sh\nexec git "$@"\n', { mode: 0o755 });
      expect(isRunProcess(readStart('spawn', [shim, []])!, env)).toBe(true);
      expect(isRunProcess(readStart('spawn', [path.join(dir, 'other'), []])!, env)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are not other programs, nor shell lines of other programs', () => {
    expect(runProcess('spawn', 'git', ['status'])).toBe(false);
    expect(runProcess('execFile', 'sh', ['-c', 'echo node >> notes.txt'])).toBe(false);
    expect(runProcess('exec', 'curl -s https://example.com | grep node')).toBe(false);
    expect(runProcess('spawnSync', 'cat', ['node'])).toBe(false);
  });
});

describe('a boundary child\'s environment', () => {
  it('drops the run variables this process inherited, and is left alone without them', () => {
    expect(boundaryEnvironment({ PATH: '/bin', TRACEPARENT: '00-abc-def-01', TRACETAPE_PROCESS_PATH: '0.1', TRACETAPE_MODE: 'capture' })).toEqual({ PATH: '/bin', TRACETAPE_MODE: 'capture' });
    expect(boundaryEnvironment({ PATH: '/bin' })).toBeUndefined();
  });
});
