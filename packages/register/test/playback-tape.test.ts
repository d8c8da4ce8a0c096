import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HANDED_OVER_TAPE_ENV, serializeTape, sha256Hex, TAPE_PENDING_ENV, TAPE_SHA256_SUFFIX, TapeIntegrityError, type Tape } from '@tracetape/core';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEntry, makeTape } from '../../core/test/tape-fixtures.js';
import { readPlaybackTape } from '../src/playback-tape.js';
import { awaitTapeArrival } from '../src/tape-arrival.js';

// The tape `tracetape replay` hands to the hooked app: unsigned, with the hash of its bytes.
const tape: Tape = makeTape([makeEntry({ step: 1, method: 'GET', url: 'https://h.test/a' }), makeEntry({ step: 2, method: 'POST', url: 'https://h.test/b', body: '{"x":1}' })]);
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function write(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-playback-tape-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'tape.json'), text);
  return path.join(dir, 'tape.json');
}

describe('readPlaybackTape', () => {
  it('reads the CLI’s unsigned tape when its bytes match the handed-over hash, without a warning', () => {
    const text = JSON.stringify(tape);
    const warnings: string[] = [];
    const read = readPlaybackTape(write(text), { [HANDED_OVER_TAPE_ENV]: sha256Hex(text) }, (w) => warnings.push(w));
    expect(read.entries.map((entry) => entry.step)).toEqual([1, 2]);
    expect(warnings).toEqual([]);
  });

  it('refuses an unsigned tape whose bytes do not match the hash, or with no hash at all', () => {
    const text = JSON.stringify(tape);
    const changed = write(text.replace('h.test/b', 'h.test/c'));
    expect(() => readPlaybackTape(changed, { [HANDED_OVER_TAPE_ENV]: sha256Hex(text) })).toThrow(TapeIntegrityError);
    expect(() => readPlaybackTape(write(text), {})).toThrow(TapeIntegrityError);
  });

  it('still reads a signed tape file, hash or not', () => {
    const file = write(serializeTape(tape));
    expect(readPlaybackTape(file, {}).entries).toHaveLength(2);
    expect(readPlaybackTape(file, { [HANDED_OVER_TAPE_ENV]: 'not-this-one' }).entries).toHaveLength(2);
  });
});

describe('a tape handed over while the app starts (tracetape replay -- node …)', () => {
  // What the CLI does (replay/src/tape-handover.ts): the hash beside the tape first, then the tape by a rename.
  function deliver(file: string, text: string): void {
    fs.writeFileSync(file + TAPE_SHA256_SUFFIX, sha256Hex(text));
    fs.writeFileSync(`${file}.partial`, text);
    fs.renameSync(`${file}.partial`, file);
  }
  const pendingEnv = { [TAPE_PENDING_ENV]: String(process.pid) };

  it('waits for the tape to be written, then reads it with the hash written beside it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-pending-tape-'));
    dirs.push(dir);
    const file = path.join(dir, 'tape.json');
    let arrived = false;
    const waiting = awaitTapeArrival(file, process.pid).then(() => (arrived = true));
    // Nothing there yet: the hook goes on waiting (a turn of the event loop later, still nothing).
    await new Promise((resolve) => setImmediate(resolve));
    expect(arrived).toBe(false);
    deliver(file, JSON.stringify(tape));
    await waiting;
    expect(readPlaybackTape(file, pendingEnv).entries.map((entry) => entry.step)).toEqual([1, 2]);
  });

  it('refuses a pending tape whose bytes are not the ones the CLI hashed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-pending-tape-'));
    dirs.push(dir);
    const file = path.join(dir, 'tape.json');
    const text = JSON.stringify(tape);
    deliver(file, text);
    fs.writeFileSync(file, text.replace('h.test/b', 'h.test/c'));
    expect(() => readPlaybackTape(file, pendingEnv)).toThrow(TapeIntegrityError);
  });
});
