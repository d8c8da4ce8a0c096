// A loopback upstream that streams server-sent events the way an LLM API does: the first event at
// once, then the rest a few milliseconds apart, then `data: [DONE]`. Its own process, so its timers
// are not delayed by the client it serves.
import http from 'node:http';

const events = Number(process.env.BENCH_SSE_EVENTS ?? 20);
const intervalMs = Number(process.env.BENCH_SSE_INTERVAL_MS ?? 5);

function event(n) {
  const delta = { choices: [{ index: 0, delta: { content: `token ${n} ` } }] };
  return `data: ${JSON.stringify(delta)}\n\n`;
}

const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // Node sends the headers together with the first write, so the first byte is the first event.
  res.write(event(0));
  let sent = 1;
  const timer = setInterval(() => {
    if (sent < events) {
      res.write(event(sent++));
      return;
    }
    clearInterval(timer);
    res.end('data: [DONE]\n\n');
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
