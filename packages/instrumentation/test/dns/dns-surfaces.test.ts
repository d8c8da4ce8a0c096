import dns from 'node:dns';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsCall } from '../../src/dns/dns-call.js';
import { patchDns, readCall } from '../../src/dns/dns-surfaces.js';

let undo: (() => void) | undefined;
afterEach(() => {
  undo?.();
  undo = undefined;
});

/** Patches node:dns with a handler that notes each question and asks the real resolver. */
function noting(): DnsCall[] {
  const calls: DnsCall[] = [];
  undo = patchDns((call, ask) => {
    calls.push(call);
    return ask();
  });
  return calls;
}

describe('patchDns', () => {
  it('sees the app asking, in the callback and promise forms alike, and gives the answers their own shapes', async () => {
    const calls = noting();
    const [address, family] = await new Promise<[string, number]>((resolve, reject) =>
      dns.lookup('localhost', { family: 4 }, (error, found, foundFamily) => (error ? reject(error) : resolve([found, foundFamily]))),
    );
    const viaPromise = await dns.promises.lookup('localhost', { family: 4 });
    const all = await dns.promises.lookup('localhost', { family: 4, all: true });
    expect([address, family]).toEqual(['127.0.0.1', 4]);
    expect(viaPromise).toEqual({ address: '127.0.0.1', family: 4 });
    expect(all).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(calls).toEqual([
      { operation: 'lookup', name: 'localhost', options: { family: 4, all: false } },
      { operation: 'lookup', name: 'localhost', options: { family: 4, all: false } },
      { operation: 'lookup', name: 'localhost', options: { family: 4, all: true } },
    ]);
  });

  it("leaves Node's own lookup for a connection to that connection's door", async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const calls = noting();
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: 'localhost', port, family: 4 }, () => {
        socket.end();
        resolve();
      });
      socket.on('error', reject);
    });
    await new Promise((resolve) => server.close(resolve));
    expect(calls).toEqual([]);
  });

  it('gives back the functions it replaced', () => {
    const before = [dns.lookup, dns.resolve4, dns.promises.resolveTxt, dns.Resolver.prototype.resolve4];
    patchDns((_call, ask) => ask())();
    expect([dns.lookup, dns.resolve4, dns.promises.resolveTxt, dns.Resolver.prototype.resolve4]).toEqual(before);
  });
});

describe('readCall', () => {
  it('keys what changes the answer', () => {
    expect(readCall('resolve', ['example.com'])).toEqual({ operation: 'resolve', name: 'example.com', options: { rrtype: 'A' } });
    expect(readCall('resolve', ['example.com', 'MX'])).toEqual({ operation: 'resolve', name: 'example.com', options: { rrtype: 'MX' } });
    expect(readCall('resolve4', ['example.com', { ttl: true }])).toEqual({ operation: 'resolve4', name: 'example.com', options: { ttl: true } });
    expect(readCall('lookup', ['example.com', 6])).toEqual({ operation: 'lookup', name: 'example.com', options: { family: 6, all: false } });
    expect(readCall('lookupService', ['127.0.0.1', 22])).toEqual({ operation: 'lookupService', name: '127.0.0.1:22' });
    // What Node itself refuses is left for Node to refuse.
    expect(readCall('resolve4', [42])).toBeUndefined();
  });
});
