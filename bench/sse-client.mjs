// The client of the streamed-response figure, run with and without the tracetape hook: fetches
// the SSE stream BENCH_SSE_STREAMS times in a row (after BENCH_SSE_WARMUP unmeasured ones) and
// prints, as one JSON line, per stream the time to the first body chunk, to the end, and how many
// events arrived (a stream cut short must not pass as a fast one).
const url = process.env.BENCH_SSE_URL;
const streams = Number(process.env.BENCH_SSE_STREAMS);
const warmup = Number(process.env.BENCH_SSE_WARMUP ?? 0);

async function fetchStream() {
  const started = performance.now();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let firstByteMs;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    firstByteMs ??= performance.now() - started;
    text += decoder.decode(value, { stream: true });
  }
  return { firstByteMs, endMs: performance.now() - started, events: text.split('\n\n').filter((e) => e.startsWith('data: ')).length };
}

for (let i = 0; i < warmup; i++) await fetchStream();
const samples = [];
for (let i = 0; i < streams; i++) samples.push(await fetchStream());
process.stdout.write(`${JSON.stringify(samples)}\n`);
