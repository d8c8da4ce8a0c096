import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface CountingServer {
  url: string;
  /** Requests received since start (or the last reset). */
  count(): number;
  reset(): void;
  /** Every request header seen, for checking what clients sent. */
  seenHeaders: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string | string[]>;
  /** A list is written piece by piece, `chunkDelayMs` apart, like a streamed response. */
  body: string | string[];
  delayMs?: number;
  chunkDelayMs?: number;
}

export type Handler = (
  request: { method: string; url: string; body: string; headers: http.IncomingHttpHeaders },
  n: number,
) => Answer | Promise<Answer>;

/** A real loopback HTTP server that counts the requests it gets: replay must make it see none. */
export async function startCountingServer(handler: Handler, tls?: { key: Buffer; cert: Buffer }): Promise<CountingServer> {
  let requests = 0;
  const seenHeaders: http.IncomingHttpHeaders[] = [];
  const listener: http.RequestListener = (req, res) => {
    const n = ++requests;
    seenHeaders.push(req.headers);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', async () => {
      const answer = await handler({ method: req.method ?? 'GET', url: req.url ?? '/', body, headers: req.headers }, n);
      const send = () => {
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
        const pieces = Array.isArray(answer.body) ? [...answer.body] : [answer.body];
        const writeNext = () => {
          const piece = pieces.shift();
          if (piece === undefined) return void res.end();
          res.write(piece);
          setTimeout(writeNext, answer.chunkDelayMs ?? 0);
        };
        writeNext();
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    count: () => requests,
    reset: () => {
      requests = 0;
      seenHeaders.length = 0;
    },
    seenHeaders,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
