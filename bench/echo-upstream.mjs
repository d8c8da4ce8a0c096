// The upstream of the replay-speed figure: answers every POST at once with a small JSON body that
// echoes the request and carries a per-answer nonce, so a replay only prints what the recording
// printed if every answer came from the tape. BENCH_PORT pins the port: a recorded URL (port
// included) must still match when the upstream is started again between rounds.
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (text) => (body += text));
  req.on('end', () => {
    const answer = JSON.stringify({ echo: JSON.parse(body || 'null'), nonce: randomUUID() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
