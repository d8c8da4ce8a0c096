import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import type { BlockedConnection } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachHttp2Guard } from '../../src/http2/http2-guard.js';

let server: http2.Http2Server;
let sessions = 0;
let port: number;

beforeAll(async () => {
  server = http2.createServer();
  server.on('session', () => sessions++);
  server.on('stream', (stream) => stream.respond({ ':status': 200 }, { endStream: true }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/**
 * An app that makes its own socket for http2.connect, as grpc-js does: connected before the
 * session starts (`first`), or inside `createConnection`. What its request got.
 */
function requestOverOwnSocket(first: boolean): Promise<string> {
  return new Promise((resolve) => {
    const failed = (error: NodeJS.ErrnoException): void => resolve(`error ${String(error.code)}`);
    const start = (made?: net.Socket): void => {
      const session = http2.connect(`http://127.0.0.1:${port}`, { createConnection: () => made ?? net.connect(port, '127.0.0.1') });
      session.on('error', failed);
      const stream = session.request({ ':path': '/' });
      stream.on('error', failed);
      stream.on('response', (headers) => {
        session.close();
        resolve(`status ${headers[':status']}`);
      });
    };
    if (!first) return start();
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => start(socket));
  });
}

describe('attachHttp2Guard', () => {
  it('refuses an HTTP/2 socket the app made itself, instead of holding it for ever', async () => {
    const interceptor = new HttpRequestInterceptor();
    interceptor.apply();
    const blocked: BlockedConnection[] = [];
    const detach = attachHttp2Guard({ liveHosts: [], onBlocked: (connection) => blocked.push(connection) });
    try {
      const before = sessions;
      expect(await requestOverOwnSocket(true)).toBe('error TRACETAPE_PLAYBACK_CONNECTION_BLOCKED');
      expect(blocked).toEqual([{ host: '127.0.0.1', port, reason: 'http2' }]);
      expect(sessions).toBe(before);
    } finally {
      detach();
      interceptor.dispose();
    }
  });

  // A socket connected before the session started cannot be passed through once the session owns
  // it (the session writes through the native handle): a live host works with one made in
  // createConnection.
  it('lets a live host through', async () => {
    const interceptor = new HttpRequestInterceptor();
    interceptor.apply();
    const detach = attachHttp2Guard({ liveHosts: [`127.0.0.1:${port}`], onBlocked: () => undefined });
    try {
      const before = sessions;
      expect(await requestOverOwnSocket(false)).toBe('status 200');
      expect(sessions).toBe(before + 1);
    } finally {
      detach();
      interceptor.dispose();
    }
  });
});
