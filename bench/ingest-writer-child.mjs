// One recording process of bench/ingest-throughput.mjs: makes `count` recorded-call spans with
// ~4 KB of unique payload each (as bench/scale-exporter-child.mjs does), then writes them into the
// recording log through the register hook's own LogSpanExporter and LogWriter, in batches of 512
// (the hook's export batch), and ends its segment as a process exiting does. Prints one JSON line:
// how long the appends took on this thread.
//
//   node bench/ingest-writer-child.mjs <logDir> <count> <seed> [rows|otlp]
//
// `rows` (the default): the records the hook writes for the embedded store; `otlp`: OTLP/JSON, what
// it writes for a log shipped to a server or a collector (and what every log held before).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LogWriter } from '@tracetape/log';
import { recordedCalls } from './scale-spans.mjs';
import { repoRoot } from './variants.mjs';

const BATCH = 512;
// Not a public entry point of @tracetape/register: the class the hook appends with, as built.
const { LogSpanExporter } = await import(pathToFileURL(path.join(repoRoot, 'packages/register/dist/export/log-span-exporter.js')).href);
const { OtlpJsonEncoder, RowsEncoder } = await import(pathToFileURL(path.join(repoRoot, 'packages/register/dist/export/record-encoders.js')).href);

const [logDir, countText, seedText, encoding = 'rows'] = process.argv.slice(2);
const count = Number(countText);
const seed = Number(seedText);
if (!logDir || !Number.isInteger(count) || count <= 0 || !Number.isInteger(seed) || !['rows', 'otlp'].includes(encoding)) {
  throw new Error(`usage: node ${path.relative(process.cwd(), fileURLToPath(import.meta.url))} <logDir> <count> <seed> [rows|otlp]`);
}

const spans = await recordedCalls({ count, perTrace: 100, seed, startMs: Date.now() - 3_600_000, requestBytes: 2400, responseBytes: 1696 });
const writer = new LogWriter({ dir: logDir, maxBytes: 64 * 1024 ** 3 });
const exporter = new LogSpanExporter(writer, encoding === 'rows' ? new RowsEncoder() : new OtlpJsonEncoder());
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < spans.length; i += BATCH) {
  const result = exporter.exportSync(spans.slice(i, i + BATCH));
  if (result.code !== 0) throw result.error ?? new Error('LogSpanExporter failed a batch');
}
exporter.shutdownSync();
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const { written, lost } = exporter.stats();
if (written !== count || lost !== 0) throw new Error(`LogSpanExporter wrote ${written} of ${count} spans, lost ${lost}`);
process.stdout.write(`${JSON.stringify({ spans: written, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
