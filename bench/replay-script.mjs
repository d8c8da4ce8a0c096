// The app of the replay-speed figure: BENCH_CALLS sequential fetch POSTs with small JSON bodies,
// like an agent loop of model and tool calls. Its stdout (a digest of every answer) is what the
// replay must reproduce; the time spent in the call loop goes to stderr, because
// performance.now() is not replayed and must not make the outputs differ.
import { createHash } from 'node:crypto';

const url = `${process.env.BENCH_UPSTREAM_URL}/v1/step`;
const calls = Number(process.env.BENCH_CALLS);
const digest = createHash('sha256');

const started = performance.now();
for (let i = 0; i < calls; i++) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ step: i, tool: i % 3 === 0 ? 'search' : 'model', input: `question ${i}` }),
  });
  if (!res.ok) throw new Error(`step ${i}: HTTP ${res.status}`);
  const answer = await res.json();
  if (answer.echo?.step !== i) throw new Error(`step ${i}: the answer echoes step ${answer.echo?.step}`);
  digest.update(answer.nonce);
}
const loopMs = performance.now() - started;
process.stdout.write(`${calls} calls, answers digest ${digest.digest('hex')}\n`);
process.stderr.write(`bench-loop-ms ${loopMs}\n`);
