import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandListeners } from '../src/playback/command-listeners.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-command-listeners-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function listen(server: net.Server, ...args: unknown[]): Promise<void> {
  return new Promise((resolve) => (server.listen as (...a: unknown[]) => void)(...args, () => resolve()));
}

describe('the sockets a replayed command listens on', () => {
  it("notes each server of the process once it listens, and knows a connection to one from any other", async () => {
    const file = path.join(scratch, 'listeners.jsonl');
    const listeners = new CommandListeners(file);
    const socketPath = path.join(scratch, 'runner.sock');
    const other = new CommandListeners(file);
    const undo = listeners.watch();
    const pipe = net.createServer();
    const local = net.createServer();
    const everywhere = net.createServer();
    try {
      await listen(pipe, socketPath);
      await listen(local, 0, '127.0.0.1');
      await listen(everywhere, 0);
      const localPort = (local.address() as net.AddressInfo).port;
      const everywherePort = (everywhere.address() as net.AddressInfo).port;

      // Another process of the command reads the same file.
      expect(other.has(socketPath, undefined)).toBe(true);
      expect(other.has('127.0.0.1', localPort)).toBe(true);
      expect(other.has('localhost', everywherePort)).toBe(true);
      expect(other.has('::1', everywherePort)).toBe(true);

      expect(other.has(path.join(scratch, 'database.sock'), undefined)).toBe(false);
      expect(other.has('127.0.0.1', 1)).toBe(false);
      // Not the command's: the same port on another host, or on the loopback of the other family.
      expect(other.has('db.internal', localPort)).toBe(false);
      expect(other.has('::1', localPort)).toBe(false);
    } finally {
      undo();
      await Promise.all([pipe, local, everywhere].map((server) => new Promise((resolve) => server.close(resolve))));
    }
    // Undone: servers that listen now are not noted.
    const later = net.createServer();
    await listen(later, 0, '127.0.0.1');
    expect(other.has('127.0.0.1', (later.address() as net.AddressInfo).port)).toBe(false);
    await new Promise((resolve) => later.close(resolve));
  });

  it('knows none when nothing was noted, or the file holds a line cut short', () => {
    const file = path.join(scratch, 'cut.jsonl');
    expect(new CommandListeners(file).has('127.0.0.1', 8080)).toBe(false);
    fs.writeFileSync(file, '{"address":"127.0.0.1","port":8080}\n{"path":"/tmp/x');
    expect(new CommandListeners(file).has('127.0.0.1', 8080)).toBe(true);
    expect(new CommandListeners(file).has('/tmp/x', undefined)).toBe(false);
  });
});
