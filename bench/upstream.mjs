// The upstream the benchmarked service calls: answers every request after a fixed delay with an
// ~8 KB JSON body. Runs in its own process so its timers are not skewed by the load generator.
import http from 'node:http';
import { jsonOfSize } from './payload.mjs';

const delayMs = Number(process.env.BENCH_UPSTREAM_DELAY_MS ?? 20);
const body = jsonOfSize(8 * 1024, { from: 'upstream' });

const server = http.createServer((req, res) => {
  // Drain the request body: the service's copy must be fully sent for its span to end normally.
  req.resume();
  req.on('end', () => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, delayMs);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
