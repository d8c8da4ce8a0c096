import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runProcess, tempDir } from './support/cli.js';

// A tape used to be read and parsed whole before anything looked at its size: a 190 MB tape took
// 1.7 GB and 8 s to be refused. Now its size is checked first, from the file system.
const MiB = 1024 * 1024;
const tmp = tempDir('tracetape-tape-size-');
const bigTape = path.join(tmp.dir, 'big.tape.json');
const smallTape = path.join(tmp.dir, 'small.tape.json');
const app = path.join(tmp.dir, 'app.mjs');
/** Loaded into the CLI process only (not its children): prints the process's peak RSS as it exits. */
const rssReporter = path.join(tmp.dir, 'peak-rss.mjs');
const BIG = 200 * MiB;

beforeAll(() => {
  // 200 MiB of JSON, written a mebibyte at a time (the test itself never holds the file).
  const fd = fs.openSync(bigTape, 'w');
  fs.writeSync(fd, '{"entries":[],"pad":"');
  const chunk = Buffer.alloc(MiB, 'x');
  for (let written = 0; written < BIG; written += MiB) fs.writeSync(fd, chunk);
  fs.writeSync(fd, '"}');
  fs.closeSync(fd);
  fs.writeFileSync(smallTape, JSON.stringify({ entries: [], pad: 'x'.repeat(4096) }));
  fs.writeFileSync(app, "console.log('the app ran');\n");
  fs.writeFileSync(rssReporter, "process.on('exit', () => process.stderr.write(`peak-rss-kib=${process.resourceUsage().maxRSS}\\n`));\n");
});

afterAll(() => tmp.remove());

function peakRssOf(stderr: string): number {
  const match = /peak-rss-kib=(\d+)/.exec(stderr);
  if (!match) throw new Error(`no peak RSS reported:\n${stderr}`);
  return Number(match[1]) * 1024;
}

describe('a tape file over the size limit', () => {
  it('is refused by `tracetape replay --tape` before it is read: quickly, in bounded memory, saying how to raise the limit', async () => {
    const started = performance.now();
    const result = await runProcess(process.execPath, ['--import', rssReporter, CLI, 'replay', '--tape', bigTape, '--', 'node', app]);
    const elapsedMs = performance.now() - started;
    expect(result.code).toBe(2);
    expect(result.stdout).not.toContain('the app ran');
    // The size, the limit and the setting that raises it.
    const size = fs.statSync(bigTape).size;
    expect(result.stderr).toContain(`the file is 200.0 MiB (${size.toLocaleString('en-US')} bytes), over the 128.0 MiB (134,217,728 bytes) limit`);
    expect(result.stderr).toContain(`TRACETAPE_MAX_TAPE_BYTES=${size}`);
    const peak = peakRssOf(result.stderr);
    console.log(`refused a ${BIG / MiB} MiB tape in ${elapsedMs.toFixed(0)} ms, CLI peak RSS ${(peak / MiB).toFixed(0)} MiB`);
    // Well under the file's own size: it was never read (the CLI alone peaks near 90 MiB).
    expect(peak).toBeLessThan(BIG * 0.75);
  });

  it('is refused by `tracetape tape --sign` before it is read, and left as it was', async () => {
    const before = fs.statSync(bigTape);
    const result = await runProcess(process.execPath, ['--import', rssReporter, CLI, 'tape', '--sign', bigTape]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('over the 128.0 MiB (134,217,728 bytes) limit');
    expect(peakRssOf(result.stderr)).toBeLessThan(BIG * 0.75);
    expect(fs.statSync(bigTape).mtimeMs).toBe(before.mtimeMs);
  });

  it('is refused by the register hook in playback (TRACETAPE_TAPE) the same way', async () => {
    const result = await runProcess(process.execPath, ['--import', '@tracetape/register', app], { TRACETAPE_MODE: 'playback', TRACETAPE_TAPE: bigTape });
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('the app ran');
    expect(result.stderr).toContain('over the 128.0 MiB (134,217,728 bytes) limit for tape files');
    expect(result.stderr).toContain('TRACETAPE_MAX_TAPE_BYTES=');
  });

  it('follows TRACETAPE_MAX_TAPE_BYTES: a lower limit refuses a small tape, the default lets it through to the parser', async () => {
    const size = fs.statSync(smallTape).size;
    const lowered = await runProcess(process.execPath, [CLI, 'replay', '--tape', smallTape, '--', 'node', app], { TRACETAPE_MAX_TAPE_BYTES: '1024' });
    expect(lowered.code).toBe(2);
    expect(lowered.stderr).toContain(`the file is ${size.toLocaleString('en-US')} bytes, over the 1,024 bytes limit`);
    expect(lowered.stderr).toContain(`TRACETAPE_MAX_TAPE_BYTES=${size}`);
    // Under the default limit the file is read, and refused for what it holds, not its size.
    const read = await runProcess(process.execPath, [CLI, 'replay', '--tape', smallTape, '--', 'node', app]);
    expect(read.code).not.toBe(0);
    expect(read.stderr).toContain('Invalid tape');
    expect(read.stderr).not.toContain('limit for tape files');
    const bad = await runProcess(process.execPath, [CLI, 'replay', '--tape', smallTape, '--', 'node', app], { TRACETAPE_MAX_TAPE_BYTES: 'lots' });
    expect(bad.stderr).toContain('TRACETAPE_MAX_TAPE_BYTES must be a whole number of bytes');
  });
});

