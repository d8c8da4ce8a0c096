// Payload deduplication, end to end: a 50-turn agent conversation that resends its whole history
// on every request is recorded by the real register hook into a fresh embedded store, and the
// store's size on disk (every tracetape table, after merges and ClickHouse compression) is compared
// with the request and response body bytes that crossed the wire. The run is then replayed with
// the model server stopped: a small store that cannot give the conversation back would be no win.
// The peer is the same run kept as a cassette (every request and response in one JSON document)
// compressed with zstd at level 3 and at its best level; bench/storage-variants.mjs shows where
// the store's bytes go and what each storage lever does.
//
//   node bench/storage-ratio.mjs [--quick|--smoke]     prints the figures as JSON
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { constants as zlibConstants, zstdCompressSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LogIngester } from '@tracetape/collector';
import { logDirOf } from '@tracetape/log';
import { ChdbSpanStore } from '@tracetape/clickhouse';
import { startChatServer } from './conversation-server.mjs';
import { BenchCheckFailed } from './figures.mjs';
import { runIfMain } from './scale-cli.mjs';
import { runToEnd, tail } from './scale-child.mjs';
import { cleanEnv, tracetapeCli, tracetapeRegister } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const agentScript = path.join(here, 'conversation-agent.mjs');
const SEED = 20_261_122;
// Issue 19: 60 times smaller than the wire bytes, against the peer of one zstd-compressed cassette.
const TARGET_RATIO = 60;
const CASSETTE_LEVELS = [3, 22];
const KIB = 1024;

export async function measure({ smoke = false, tmpDir = os.tmpdir() } = {}) {
  // The figure is for 50 turns, cheap enough for --quick too; --smoke only proves the pipeline works.
  const turns = smoke ? 6 : 50;
  const tmp = mkdtempSync(path.join(tmpDir, 'tracetape-bench-storage-'));
  const storeDir = path.join(tmp, 'store');
  try {
    const server = await startChatServer({ seed: SEED });
    const agentEnv = { OPENAI_BASE_URL: server.url, TURNS: String(turns), SEED: String(SEED), OTEL_SERVICE_NAME: 'bench-conversation' };
    let recorded;
    try {
      recorded = await runToEnd(process.execPath, ['--import', pathToFileURL(tracetapeRegister).href, agentScript], {
        env: cleanEnv({ ...agentEnv, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: storeDir }),
        cwd: tmp,
      });
    } finally {
      await server.close();
    }
    if (recorded.code !== 0) throw new Error(`the recorded agent failed (${recorded.signal ?? recorded.code}):\n${tail(recorded.stderr)}`);
    const raw = { ...server.counts };
    const cassettes = cassetteSizes(server.exchanges());
    if (raw.requests !== turns) throw new BenchCheckFailed([`the model server saw ${raw.requests} requests, expected ${turns}`]);
    const distinct = Buffer.from(server.distinctContent());
    // What one zstd stream (the payload column's level) makes of the distinct content: roughly the
    // least any store could keep, so the stored size can be read against what is achievable.
    const distinctCompressed = zstdCompressSync(distinct, { params: { [zlibConstants.ZSTD_c_compressionLevel]: 3 } }).length;

    const stored = await measureStore(storeDir, turns);
    const replay = await replayRun(storeDir, stored.traceId, agentEnv, tmp);
    if (replay.stdout !== recorded.stdout) {
      throw new BenchCheckFailed([`the replay printed something else than the recorded run:\nrecorded:\n${tail(recorded.stdout, 5)}\nreplayed:\n${tail(replay.stdout, 5)}\n${tail(replay.stderr)}`]);
    }

    const rawBytes = raw.requestBytes + raw.responseBytes;
    const ratio = rawBytes / stored.bytesOnDisk;
    const tables = stored.tables
      .map(
        (t) =>
          `${t.table} ${(t.bytesOnDisk / KIB).toFixed(1)} KiB in ${t.parts} part(s) (column data ${(t.compressed / KIB).toFixed(1)} KiB), ` +
          `${t.rows} rows, ${(t.uncompressed / KIB).toFixed(1)} KiB uncompressed`,
      )
      .join('; ');
    const [peer] = cassettes;
    const peerRatio = rawBytes / peer.bytes;
    const full = turns === 50;
    const scope = `${turns}-turn openai-SDK conversation (${Math.floor(turns / 5)} of them streamed), recorded by the register hook into embedded chDB`;
    return [
      {
        name: 'storage: raw bytes / stored bytes',
        value: round(ratio, 1),
        unit: 'x',
        baseline: { label: `zstd-${peer.level} cassette`, value: round(peerRatio, 1), unit: 'x' },
        ratio: ratio / peerRatio,
        target: `>= ${TARGET_RATIO}x at 50 turns`,
        ...(full ? { met: ratio >= TARGET_RATIO } : {}),
        detail:
          `${scope}; raw = request + response bodies on the wire; stored = bytes_on_disk of active parts after OPTIMIZE FINAL ` +
          `(${tables}); replay with the server stopped: exit 0, identical stdout` +
          `; for scale: the distinct content (last request + all responses, ${(distinct.length / KIB).toFixed(1)} KiB) is ` +
          `${(distinctCompressed / KIB).toFixed(1)} KiB as one zstd-3 stream (raw / that = ${round(rawBytes / distinctCompressed, 1)}x)`,
      },
      ...cassettes.map((c) => ({
        name: `storage: the same run as one zstd-${c.level} JSON cassette`,
        value: round(c.bytes / KIB, 1),
        unit: 'KiB',
        baseline: { label: 'tracetape on disk', value: round(stored.bytesOnDisk / KIB, 1), unit: 'KiB' },
        ratio: c.bytes / stored.bytesOnDisk,
        detail:
          `raw / cassette = ${round(rawBytes / c.bytes, 1)}x; the peer: every request and response of the run (method, path, headers, ` +
          `body as text; authorization left out) in one JSON document of ${(c.json / KIB).toFixed(1)} KiB, compressed whole by node:zlib's zstd at level ${c.level}`,
      })),
      {
        name: 'storage: raw request + response bytes',
        value: round(rawBytes / KIB, 1),
        unit: 'KiB',
        detail: `${raw.requests} requests: ${(raw.requestBytes / KIB).toFixed(1)} KiB sent, ${(raw.responseBytes / KIB).toFixed(1)} KiB received`,
      },
      {
        name: 'storage: stored on disk',
        value: round(stored.bytesOnDisk / KIB, 1),
        unit: 'KiB',
        detail:
          `compressed column data ${(stored.compressed / KIB).toFixed(1)} KiB, uncompressed ${(stored.uncompressed / KIB).toFixed(1)} KiB; ` +
          `the rest is per-part files (marks, indexes, checksums); largest span attributes (uncompressed, all spans): ${stored.largestAttributes}; trace ${stored.traceId}: ${stored.spanCount} spans, ${stored.recordedCalls} recorded calls`,
      },
    ];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The peer a user could keep instead: the run as a cassette file (what a record/replay HTTP tool
 * stores: each request and response with its headers and body), zstd-compressed as one stream.
 */
function cassetteSizes(exchanges) {
  const interactions = exchanges.map(({ request, response }) => ({
    request: { ...request, headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'authorization')) },
    response,
  }));
  const json = Buffer.from(JSON.stringify({ interactions }));
  return CASSETTE_LEVELS.map((level) => ({
    level,
    json: json.length,
    bytes: zstdCompressSync(json, { params: { [zlibConstants.ZSTD_c_compressionLevel]: level } }).length,
  }));
}

/** Merges every table down to what it would settle at, then reads its size from system.parts. */
async function measureStore(storeDir, turns) {
  const store = new ChdbSpanStore({ dir: storeDir });
  try {
    // The hook appends to the recording log; the store holds the run once the log is ingested,
    // as every reading command of the CLI does first.
    const ingested = await new LogIngester({ store, logDir: logDirOf(storeDir) }).ingest();
    if (ingested.skipped.length > 0 || ingested.rejected.count > 0) throw new BenchCheckFailed([`ingesting the recording log skipped or rejected spans: ${JSON.stringify(ingested)}`]);
    const traces = await store.listTraces({ limit: 10 });
    if (traces.length !== 1) throw new BenchCheckFailed([`expected one recorded run in the store, found ${traces.length}`]);
    const [trace] = traces;
    if (trace.recordedCalls !== turns) throw new BenchCheckFailed([`trace ${trace.traceId} holds ${trace.recordedCalls} recorded calls, expected ${turns}: the recording is incomplete`]);

    const rows = async (sql) =>
      (await store.query(sql, 'JSONEachRow'))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    const [health] = await rows(
      `SELECT countIf(SpanAttributes['gen_ai.provider.name'] = 'openai') AS llmCalls,
              countIf(mapContains(SpanAttributes, 'tracetape.capture.error')) AS captureErrors
       FROM otel_traces WHERE TraceId = '${trace.traceId}'`,
    );
    if (Number(health.llmCalls) !== turns || Number(health.captureErrors) !== 0) {
      throw new BenchCheckFailed([`trace ${trace.traceId} holds ${health.llmCalls} recognised LLM calls (expected ${turns}) and ${health.captureErrors} capture errors`]);
    }
    // Whatever tables the store keeps (spans, the trace-ID lookup, payloads, chunks...) all count.
    const tables = await rows(`SELECT name FROM system.tables WHERE database = 'default' AND engine LIKE '%MergeTree%' ORDER BY name`);
    for (const { name } of tables) await store.query(`OPTIMIZE TABLE default.\`${name}\` FINAL`, 'TabSeparated');
    const parts = await rows(
      `SELECT table, count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytesOnDisk,
              sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed
       FROM system.parts WHERE database = 'default' AND active GROUP BY table ORDER BY table`,
    );
    const measured = parts.map((p) => ({
      table: p.table,
      parts: Number(p.parts),
      rows: Number(p.rows),
      bytesOnDisk: Number(p.bytesOnDisk),
      compressed: Number(p.compressed),
      uncompressed: Number(p.uncompressed),
    }));
    const sum = (key) => measured.reduce((total, t) => total + t[key], 0);
    // Where the bytes are, for whoever tries to make them fewer (compact parts keep no per-column
    // sizes, so these are uncompressed lengths).
    const attributes = await rows(
      `SELECT key, sum(length(value)) AS bytes FROM otel_traces
       ARRAY JOIN mapKeys(SpanAttributes) AS key, mapValues(SpanAttributes) AS value
       GROUP BY key ORDER BY bytes DESC LIMIT 4`,
    );
    return {
      traceId: trace.traceId,
      spanCount: trace.spanCount,
      recordedCalls: trace.recordedCalls,
      tables: measured,
      largestAttributes: attributes.map((a) => `${a.key} ${(Number(a.bytes) / KIB).toFixed(1)} KiB`).join(', '),
      bytesOnDisk: sum('bytesOnDisk'),
      compressed: sum('compressed'),
      uncompressed: sum('uncompressed'),
    };
  } finally {
    await store.close();
  }
}

/** `tracetape replay <traceId> -- node agent.mjs` with nothing listening at the model's address. */
async function replayRun(storeDir, traceId, agentEnv, cwd) {
  const replay = await runToEnd(process.execPath, [tracetapeCli, 'replay', traceId, '--', process.execPath, agentScript], {
    env: cleanEnv({ ...agentEnv, TRACETAPE_DIR: storeDir }),
    cwd,
  });
  if (replay.code !== 0) throw new Error(`the replay of ${traceId} failed (${replay.signal ?? replay.code}):\n${tail(replay.stderr)}`);
  return replay;
}

function round(value, digits) {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

runIfMain(import.meta.url, measure);
