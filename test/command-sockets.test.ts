import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// The processes of a replayed command may talk to each other over sockets: tsx's runner and the
// app it starts do, over a socket in the temp dir named after the runner's PID. Those connections
// are not the outside world, so replay lets them be; a socket the command did not open (a local
// database's) is still blocked.
const store = tempDir('tracetape-command-sockets-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const APP = path.join(FIXTURES, 'runner-app.mjs');
let upstream: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(() => ({ body: JSON.stringify({ nonce: Math.random() }) }));
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

describe("connections between a replayed command's own processes", () => {
  it('go through, over a socket path and a loopback port, while the calls out are answered from the tape', async () => {
    const recorded = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url });
    expect(recorded.code, recorded.stderr).toBe(0);
    const output = JSON.parse(recorded.stdout) as { runner: string[] };
    expect(output.runner).toEqual(['ok hello over the pipe', 'ok hello over tcp']);

    upstream.reset();
    const replayed = await tracetape(['replay', recordedTraceId(recorded.stderr), '--strict', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stderr).not.toContain('connection blocked');
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(upstream.count()).toBe(0);
  }, 60_000);

  it('do not let through a socket the command did not open', async () => {
    const outsidePath = path.join(store.dir, 'database.sock');
    let connections = 0;
    const outside = net.createServer((socket) => {
      connections++;
      socket.on('data', () => socket.end('1 row\n'));
    });
    await new Promise<void>((resolve) => outside.listen(outsidePath, resolve));
    try {
      const withOutside = { ...env, UPSTREAM_URL: upstream.url, OUTSIDE_SOCKET: outsidePath };
      const recorded = await tracetape(['record', '--', 'node', APP], withOutside);
      expect(recorded.code, recorded.stderr).toBe(0);
      expect(JSON.parse(recorded.stdout)).toMatchObject({ outside: '1 row' });

      connections = 0;
      const replayed = await tracetape(['replay', recordedTraceId(recorded.stderr), '--', 'node', APP], withOutside);
      expect(replayed.code, replayed.stderr).toBe(1);
      expect(replayed.stderr).toContain(`connection blocked: ${outsidePath} is a raw socket, not HTTP`);
      expect(JSON.parse(replayed.stdout)).toMatchObject({ runner: ['ok hello over the pipe', 'ok hello over tcp'], outside: expect.stringMatching(/^failed/) });
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => outside.close(resolve));
      fs.rmSync(outsidePath, { force: true });
    }
  }, 60_000);
});
