// The service of bench/held-memory.mjs: each request continues its caller's trace (the driver
// sends a fresh traceparent, as a gateway would) and makes the calls a long-running service makes:
// a JSON POST that succeeds, a GET to a port nothing listens on (refused), and a clock read from a
// timer the request leaves behind after it answered. GET /heap answers the heap in use after two
// full collections (needs --expose-gc).
import http from 'node:http';

const upstream = process.env.BENCH_UPSTREAM_URL;
const refused = process.env.BENCH_REFUSED_URL;
if (!upstream || !refused || typeof globalThis.gc !== 'function') {
  throw new Error('held-memory-service: set BENCH_UPSTREAM_URL and BENCH_REFUSED_URL, and run with --expose-gc');
}

let lateReads = 0;
const server = http.createServer(async (req, res) => {
  if (req.url === '/heap') {
    globalThis.gc();
    globalThis.gc();
    res.end(JSON.stringify({ heapUsed: process.memoryUsage().heapUsed, lateReads }));
    return;
  }
  try {
    const answer = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order: req.url }) });
    await answer.text();
    await fetch(refused).catch(() => undefined);
    res.end('done');
    // Still in the request's trace, after its server span ended.
    setTimeout(() => {
      if (Date.now() > 0) lateReads++;
    }, 1);
  } catch (error) {
    res.statusCode = 500;
    res.end(String(error));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
