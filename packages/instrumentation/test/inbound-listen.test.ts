import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListenError } from '../src/inbound/inbound-errors.js';
import { onFirstHttpServerListening } from '../src/inbound/inbound-listen.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

async function occupiedPort(): Promise<number> {
  const holder = http.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => close(holder));
  return (holder.address() as AddressInfo).port;
}

describe('waiting for the replayed app to listen', () => {
  it('reports a port in use, then the server the app listens on once it tries another', async () => {
    const port = await occupiedPort();
    const errors: ListenError[] = [];
    const listening = new Promise<http.Server>((resolve) => cleanups.push(onFirstHttpServerListening(resolve, (error) => errors.push(error))));
    const server = http.createServer();
    cleanups.push(() => close(server));
    // An app that falls back to a free port, as dev servers do.
    server.once('error', () => server.listen(0, '127.0.0.1'));
    server.listen(port, '127.0.0.1');

    expect(await listening).toBe(server);
    expect(errors.map((error) => [error.code, error.port])).toEqual([['EADDRINUSE', port]]);
  });

  it("adds no 'error' listener of its own, so an app with none still fails on the error as without tracetape", async () => {
    const port = await occupiedPort();
    cleanups.push(onFirstHttpServerListening(() => undefined));
    const server = http.createServer();
    const seen = new Promise<unknown>((resolve) => {
      const emit = server.emit.bind(server);
      server.emit = ((event: string, ...rest: unknown[]) => (event === 'error' ? (resolve(rest[0]), true) : emit(event, ...rest))) as typeof server.emit;
    });
    server.listen(port, '127.0.0.1');
    expect(server.listenerCount('error')).toBe(0);
    expect(await seen).toMatchObject({ code: 'EADDRINUSE' });
  });
});
