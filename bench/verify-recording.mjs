// Proves the tracetape variant recorded what it was sent, through the same CLI a user would run:
// a fast number from a variant that silently captured nothing would be worthless.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cleanEnv, tracetapeCli } from './variants.mjs';

const run = promisify(execFile);

async function cli(tracetapeDir, args, cliPath = tracetapeCli) {
  const { stdout } = await run(process.execPath, [cliPath, ...args], {
    env: cleanEnv({ TRACETAPE_DIR: tracetapeDir }),
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Counts recorded calls (spans with an input hash) via `tracetape traces --json`, and spans that
 * carry a capture error via `tracetape query`. `expectedTraces` sizes --limit so no trace is cut.
 * `cliPath`: another build's CLI (the previous hook's store is read with its own commit's CLI).
 */
export async function verifyRecording(tracetapeDir, expectedTraces, cliPath = tracetapeCli) {
  let listing;
  try {
    listing = await cli(tracetapeDir, ['traces', '--json', '--limit', String(expectedTraces + 100)], cliPath);
  } catch (error) {
    // A variant that never exported leaves no tables behind, and the CLI fails on those.
    const reason = String(error.stderr || error.message).trim().split('\n')[0].slice(0, 300);
    return { traces: 0, tracesWithCalls: 0, recordedCalls: 0, spans: 0, captureErrors: 0, incompleteResponses: 0, error: reason };
  }
  const traces = listing
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const recordedCalls = traces.reduce((sum, trace) => sum + trace.recordedCalls, 0);
  const tracesWithCalls = traces.filter((trace) => trace.recordedCalls > 0).length;

  // Recorded is not the same as recorded well: a capture error or an incomplete body would still
  // count as a call above.
  const [health] = (
    await cli(tracetapeDir, [
      'query',
      '--format',
      'json',
      // Bodies over 2 KB live in the payload table (deduplicated by content), smaller ones inline.
      `SELECT count() AS spans,
              countIf(mapContains(SpanAttributes, 'tracetape.capture.error')) AS captureErrors,
              countIf(SpanAttributes['tracetape.response'] LIKE '%"complete":false%')
                + (SELECT countIf(Data LIKE '%"complete":false%') FROM tracetape_payloads) AS incompleteResponses
       FROM otel_traces`,
    ], cliPath)
  )
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  return {
    traces: traces.length,
    tracesWithCalls,
    recordedCalls,
    spans: Number(health?.spans ?? 0),
    captureErrors: Number(health?.captureErrors ?? 0),
    incompleteResponses: Number(health?.incompleteResponses ?? 0),
  };
}
