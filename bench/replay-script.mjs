// The app of the replay-speed figure: BENCH_CALLS sequential fetch POSTs with small JSON bodies,
// like an agent loop of model and tool calls. Its stdout (a digest of every answer) is what the
// replay must reproduce; the time spent in the call loop goes to stderr, because
// performance.now() is not replayed and must not make the outputs differ.
//
// Its first line tells when the app started running (after any --import hook): not with Date.now(),
// which a replay answers from the recording, but performance.timeOrigin + performance.now().
process.stderr.write(`bench-first-line-epoch-ms ${performance.timeOrigin + performance.now()}\n`);
const { createHash } = await import('node:crypto');

const url = `${process.env.BENCH_UPSTREAM_URL}/v1/step`;
const calls = Number(process.env.BENCH_CALLS);
if (calls === 0) process.exit(0);
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
