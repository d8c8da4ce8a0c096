import dgram from 'node:dgram';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// Issue 6 item 4: in playback nothing leaves the process but what the user marked live; that
// includes the npm undici (request and fetch), whose recorded calls are answered from the tape.
const store = tempDir('tracetape-isolation-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const certs = {
  key: fs.readFileSync(path.join(FIXTURES, 'tls/localhost-key.pem')),
  cert: fs.readFileSync(path.join(FIXTURES, 'tls/localhost-cert.pem')),
};

interface Canary {
  port: number;
  /** TCP connections accepted, whatever was said on them. */
  connections(): number;
  close(): Promise<void>;
}

/** A loopback server that greets, echoes and counts every connection it accepts. */
async function startCanary(server: net.Server): Promise<Canary> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const speak = (socket: net.Socket): void => {
  socket.write('HELLO\n');
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => undefined);
};

let upstream: CountingServer;
let httpCanary: CountingServer;
let httpsCanary: CountingServer;
let tcpCanary: Canary;
let tlsCanary: Canary;
let udpCanary: { port: number; datagrams(): number; close(): Promise<void> };
let h2Canary: Canary;
let appEnv: Record<string, string>;

beforeAll(async () => {
  upstream = await startCountingServer(() => ({ body: JSON.stringify({ nonce: Math.random() }) }));
  httpCanary = await startCountingServer(() => ({ body: '{}' }));
  httpsCanary = await startCountingServer(() => ({ body: '{}' }), certs);
  tcpCanary = await startCanary(net.createServer(speak));
  tlsCanary = await startCanary(tls.createServer(certs, speak));
  udpCanary = await startUdpCanary();
  const h2 = http2.createServer();
  h2.on('stream', (stream) => stream.respond({ ':status': 200 }, { endStream: true }));
  h2Canary = await startCanary(h2);
  appEnv = {
    ...env,
    UPSTREAM_URL: upstream.url,
    HTTP_PORT: new URL(httpCanary.url).port,
    TLS_HTTP_PORT: new URL(httpsCanary.url).port,
    TCP_PORT: String(tcpCanary.port),
    TLS_PORT: String(tlsCanary.port),
    // The UDP canary is the DNS resolver the app points a Resolver at as well: a query is a datagram to it.
    UDP_PORT: String(udpCanary.port),
    DNS_PORT: String(udpCanary.port),
    H2_PORT: String(h2Canary.port),
    NODE_EXTRA_CA_CERTS: path.join(FIXTURES, 'tls/localhost-cert.pem'),
  };
});

afterAll(async () => {
  await Promise.all([upstream.close(), httpCanary.close(), httpsCanary.close(), tcpCanary.close(), tlsCanary.close(), udpCanary.close(), h2Canary.close()]);
  store.remove();
});

const app = ['node', path.join(FIXTURES, 'escape-app.mjs')];

async function recordTrace(): Promise<string> {
  return (await record()).traceId;
}

async function record(): Promise<{ traceId: string; stdout: string }> {
  const recorded = await tracetape(['record', '--', ...app], appEnv);
  expect(recorded.code, recorded.stderr).toBe(0);
  return { traceId: recordedTraceId(recorded.stderr), stdout: recorded.stdout };
}

/** A loopback UDP socket that counts the datagrams it receives (DNS queries included). */
async function startUdpCanary(): Promise<{ port: number; datagrams(): number; close(): Promise<void> }> {
  let datagrams = 0;
  const socket = dgram.createSocket('udp4');
  socket.on('message', () => datagrams++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, datagrams: () => datagrams, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

const canaryHits = (): number =>
  httpCanary.count() + httpsCanary.count() + tcpCanary.connections() + tlsCanary.connections() + udpCanary.datagrams() + h2Canary.connections();

function attemptLine(stdout: string, name: string): string {
  const line = stdout.split('\n').find((text) => text.startsWith(`${name}: `));
  if (!line) throw new Error(`the app printed nothing for ${name}:\n${stdout}`);
  return line;
}

describe('playback isolation', () => {
  it('blocks every way out of the process, and the canaries see nothing', async () => {
    const { traceId, stdout: recordedOut } = await record();
    const before = canaryHits();
    const upstreamBefore = upstream.count();
    const reportFile = path.join(store.dir, 'report-all.json');
    const replayed = await tracetape(['replay', traceId, '--report', reportFile, '--', ...app], { ...appEnv, PROBE: 'all' });

    expect(canaryHits() - before).toBe(0);
    expect(replayed.stdout).toContain('recorded: true');
    const out = replayed.stdout;
    // The npm undici's recorded calls were answered from the tape: the upstream's random nonce comes back, and nothing reached it.
    for (const name of ['undici.request recorded', 'undici.fetch recorded']) {
      expect(attemptLine(out, name)).toMatch(/: 200 0\.\d+$/);
      expect(attemptLine(out, name)).toBe(attemptLine(recordedOut, name));
    }
    expect(upstream.count() - upstreamBefore).toBe(0);
    // HTTP is the HTTP playback's: not on the tape, so it diverges (it never reaches the canary either).
    for (const name of ['fetch', 'http.request', 'https.request']) expect(attemptLine(out, name)).toMatch(/: error /);
    // The npm undici (its own dispatcher and sockets, not Node's bundled copy) gets the same answer.
    for (const name of ['undici.request', 'undici.fetch']) {
      expect(attemptLine(out, name)).toMatch(/: error TRACETAPE_REPLAY_DIVERGENCE: .*\/probe-undici(-fetch)? is not on the tape/);
    }
    for (const name of ['net writes first', 'net waits for server', 'tls.connect']) {
      expect(attemptLine(out, name)).toMatch(/: error TRACETAPE_PLAYBACK_CONNECTION_BLOCKED: .*127\.0\.0\.1:\d+.*--live-host/);
    }
    // Issue 15's doors: a datagram is refused; an HTTP/2 request and a DNS question off the tape
    // diverge with nothing sent; a spawned binary is answered from the tape or (here, off it)
    // diverges without being started.
    expect(attemptLine(out, 'dgram send')).toMatch(/: error TRACETAPE_PLAYBACK_CONNECTION_BLOCKED: .*datagram to 127\.0\.0\.1:\d+.*--live-host/);
    expect(attemptLine(out, 'http2')).toMatch(/: error TRACETAPE_REPLAY_DIVERGENCE: .*GET http:\/\/127\.0\.0\.1:\d+\/probe-h2 is not on the tape/);
    expect(attemptLine(out, 'dns.resolve4')).toMatch(/: error TRACETAPE_REPLAY_DIVERGENCE: .*resolve4 dns:canary\.example is not on the tape/);
    expect(attemptLine(out, 'dns.promises.resolveTxt')).toMatch(/: error TRACETAPE_REPLAY_DIVERGENCE: .*resolveTxt dns:canary\.example is not on the tape/);
    expect(attemptLine(out, 'spawned binary')).toMatch(/: error TRACETAPE_REPLAY_DIVERGENCE: .*bash/);
    // The global WebSocket is the websocket door's: a connection the tape does not hold diverges (the report names it).
    expect(attemptLine(out, 'websocket')).toMatch(/: error TRACETAPE_REPLAY_DIVERGENCE: .*OPEN ws:\/\/127\.0\.0\.1:\d+\/ws is not on the tape/);
    // A worker thread inherits playback: its fetch diverges instead of going out.
    expect(attemptLine(out, 'worker fetch')).toMatch(/: error TRACETAPE_REPLAY_DIVERGENCE: .*\/worker is not on the tape/);
    // The child runs the hook in playback too: its fetch diverges instead of going out, and it exits 1.
    expect(attemptLine(out, 'child node')).toMatch(/: error TRACETAPE_REPLAY_DIVERGENCE: .*\/child is not on the tape/);
    expect(out).toMatch(/\(exit 1\)\n/);
    expect(out).not.toContain('went through');

    expect(replayed.code, replayed.stderr).toBe(1);
    expect(replayed.stderr).toContain(`tracetape: connection blocked: 127.0.0.1:${tcpCanary.port} is a raw socket, not HTTP; allow it with --live-host 127.0.0.1:${tcpCanary.port}`);
    expect(replayed.stderr).toContain(`tracetape: connection blocked: 127.0.0.1:${tcpCanary.port} waited for the server to speak first`);
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
      blocked: Array<{ url: string }>;
      blockedConnections: Array<{ host: string; port: number; reason: string }>;
    };
    expect(report.blockedConnections).toEqual(
      expect.arrayContaining([
        { host: '127.0.0.1', port: tcpCanary.port, reason: 'not-http' },
        { host: '127.0.0.1', port: tcpCanary.port, reason: 'server-speaks-first' },
        { host: '127.0.0.1', port: tlsCanary.port, reason: expect.stringMatching(/not-http|server-speaks-first/) },
        { host: '127.0.0.1', port: udpCanary.port, reason: 'udp' },
      ]),
    );
    // The child process's blocked fetch is in the merged report with the parent's.
    // Every door's blocked call is in it: HTTP (the child's and the worker's too), DNS, the spawn.
    const blockedUrls = report.blocked.map((call) => call.url);
    expect(blockedUrls.filter((url) => /^(http|ws)s?:/.test(url)).map((url) => new URL(url).pathname)).toEqual(
      expect.arrayContaining(['/probe', '/child', '/worker', '/ws', '/probe-h2', '/probe-undici', '/probe-undici-fetch']),
    );
    expect(blockedUrls).toEqual(expect.arrayContaining(['dns:canary.example']));
    expect(blockedUrls.some((url) => url.includes('bash'))).toBe(true);
  });

  it('lets a raw connection to a --live-host through', async () => {
    const traceId = await recordTrace();
    const before = tcpCanary.connections();
    const target = `127.0.0.1:${tcpCanary.port}`;
    const replayed = await tracetape(['replay', traceId, '--live-host', target, '--', ...app], { ...appEnv, PROBE: 'net' });

    expect(replayed.code, replayed.stderr).toBe(0);
    expect(attemptLine(replayed.stdout, 'net writes first')).toMatch(/went through \((HELLO|PING)/);
    expect(attemptLine(replayed.stdout, 'net waits for server')).toBe('net waits for server: went through (HELLO)');
    expect(tcpCanary.connections() - before).toBe(2);
    expect(replayed.stderr).not.toContain('connection blocked');
  });
});
