import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';

// "The app comes first": capture reads a copy of every response, so a body far larger than the
// capture limit must flow through to the app without capture holding it in memory.
const TOTAL_BYTES = 1024 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');
/**
 * Measured on the 2-core dev machine (Node 24): a bare Node fetch of 1 GiB peaks at ~138 MiB RSS
 * and http.get at ~156 MiB; under capture (register hook, 16 MiB capture limit, body encoded and
 * exported) they peak at ~245-305 MiB. Were capture to buffer the body (as it did when the
 * interceptor's copy was cloned a second time and the spare branch went unread) the peak passes
 * 1.2 GiB. 400 MiB leaves ~100 MiB of headroom for noise yet is far below a buffered gigabyte.
 */
const PEAK_RSS_BOUND = 400 * 1024 * 1024;

const tmp = tempDir('tracetape-large-download-');
let server: http.Server;
let downloadUrl: string;

beforeAll(async () => {
  // Generates the body on the fly and honours backpressure, so the server itself holds ~one chunk.
  server = http.createServer(async (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL_BYTES) });
    let sent = 0;
    while (sent < TOTAL_BYTES && !response.destroyed) {
      const piece = TOTAL_BYTES - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, TOTAL_BYTES - sent);
      sent += piece.length;
      if (!response.write(piece)) {
        await new Promise<void>((resolve) => {
          const resume = () => {
            response.off('drain', resume);
            response.off('close', resume);
            resolve();
          };
          response.on('drain', resume);
          response.on('close', resume);
        });
      }
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  downloadUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/big`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tmp.remove();
});

describe('a 1 GiB streamed download under capture', () => {
  for (const client of ['fetch', 'http'] as const) {
    it(`${client}: the app gets every byte, memory stays bounded, and the truncated step refuses to replay`, { timeout: 120_000 }, async () => {
      const env = { TRACETAPE_DIR: path.join(tmp.dir, client), DOWNLOAD_URL: downloadUrl, DOWNLOAD_CLIENT: client };
      const command = ['node', path.join(FIXTURES, 'large-download-app.mjs')];

      const recorded = await tracetape(['record', '--', ...command], env);
      expect(recorded.code, recorded.stderr).toBe(0);
      const report = JSON.parse(recorded.stdout.trim().split('\n').at(-1)!) as { bytes: number; peakRss: number };
      console.log(`large download (${client}) under capture: ${report.bytes} bytes, peak RSS ${(report.peakRss / 2 ** 20).toFixed(0)} MiB`);
      expect(report.bytes).toBe(TOTAL_BYTES);
      expect(report.peakRss).toBeLessThan(PEAK_RSS_BOUND);

      const traceId = recordedTraceId(recorded.stderr);
      const tape = await tracetape(['tape', traceId, '--json'], env);
      expect(tape.code, tape.stderr).toBe(0);
      const { entries } = JSON.parse(tape.stdout) as { entries: Array<{ response: { truncated?: boolean; complete: boolean } }> };
      expect(entries).toHaveLength(1);
      expect(entries[0]!.response).toMatchObject({ truncated: true, complete: false });

      // Serving the first 16 MiB as if they were the whole body would be wrong bytes: it must fail.
      const replayed = await tracetape(['replay', traceId, '--', ...command], env);
      expect(replayed.code).not.toBe(0);
      expect(replayed.stderr).toContain('TRACETAPE_PAYLOAD_TRUNCATED');
      expect(replayed.stderr).toContain('Raise TRACETAPE_MAX_BODY_BYTES and record the run again.');
      expect(replayed.stdout).not.toContain('"bytes"');
    });
  }
});
