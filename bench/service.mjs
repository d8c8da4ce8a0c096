// The service under test, run unchanged in every variant: each inbound request makes three
// sequential outbound POSTs with ~8 KB JSON bodies, like an agent step (model call, tool call,
// model call). Two go through global fetch (undici) and one through http.request, so both
// instrumentations and both interception paths are on the hot path.
import http from 'node:http';
import { jsonOfSize } from './payload.mjs';

const upstream = new URL(process.env.BENCH_UPSTREAM_URL);
// Each request body differs (id and step), so nothing downstream can be served from a cache.
const TEMPLATE = jsonOfSize(8 * 1024, { id: '00000000', step: 'xxxxxx' });

function bodyFor(id, step) {
  return TEMPLATE.replace('"00000000"', JSON.stringify(String(id).padStart(8, '0'))).replace('"xxxxxx"', JSON.stringify(step.padEnd(6).slice(0, 6)));
}

async function postWithFetch(path, body) {
  const res = await fetch(new URL(path, upstream), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (!res.ok) throw new Error(`upstream ${path}: ${res.status}`);
  return res.json();
}

function postWithHttpRequest(path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, upstream),
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`upstream ${path}: ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function handle(id) {
  const plan = await postWithFetch('/v1/plan', bodyFor(id, 'plan'));
  const tool = await postWithHttpRequest('/v1/tool', bodyFor(id, 'tool'));
  const answer = await postWithFetch('/v1/answer', bodyFor(id, 'answer'));
  return { id, sizes: [plan, tool, answer].map((part) => part.messages[1].content.length) };
}

const server = http.createServer((req, res) => {
  const id = Number(new URL(req.url, 'http://x').searchParams.get('id') ?? 0);
  handle(id).then(
    (result) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    },
    (error) => {
      // Errors are counted by the load generator (non-200), so a broken variant cannot look fast.
      res.writeHead(502, { 'content-type': 'text/plain' });
      // fetch hides the real reason in `cause`; the first error is printed by the bench.
      const cause = error?.cause ? ` (${error.cause.code ?? ''} ${error.cause.message ?? error.cause})` : '';
      res.end(`${error?.message ?? error}${cause}`);
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
