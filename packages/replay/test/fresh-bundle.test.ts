import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshBundle } from '../src/fresh-bundle.js';

// Two packages side by side, as the workspace and an installation lay them out: this one with its
// modules in dist/ and the bundle in dist/bundle/, whose inputs.json lists the files it was made
// from relative to itself, in both packages.
let dir: string;
let bundle: URL;
const at = (relative: string): string => path.join(dir, relative);
function write(relative: string, text: string, mtimeSeconds: number): void {
  fs.mkdirSync(path.dirname(at(relative)), { recursive: true });
  fs.writeFileSync(at(relative), text);
  fs.utimesSync(at(relative), mtimeSeconds, mtimeSeconds);
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-fresh-bundle-'));
  write('replay/dist/main.js', 'export {};\n', 1_000);
  write('core/dist/index.js', 'export {};\n', 1_000);
  write('replay/dist/bundle/main.js', 'export {};\n', 2_000);
  write('replay/dist/bundle/inputs.json', JSON.stringify(['../main.js', '../../../core/dist/index.js']), 2_000);
  bundle = pathToFileURL(at('replay/dist/bundle/main.js'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('freshBundle', () => {
  it('is the bundle while every file it was made from is older', () => {
    expect(freshBundle(bundle)?.href).toBe(bundle.href);
  });

  it('is nothing once a module it was made from is rebuilt (a `tsc -b` without the bundle script)', () => {
    fs.utimesSync(at('replay/dist/main.js'), 3_000, 3_000);
    expect(freshBundle(bundle)).toBeUndefined();
  });

  it('follows inputs into the packages beside this one', () => {
    fs.utimesSync(at('core/dist/index.js'), 3_000, 3_000);
    expect(freshBundle(bundle)).toBeUndefined();
  });

  it('is nothing when there is no bundle, an input is gone, or the list is unreadable', () => {
    fs.rmSync(at('core/dist/index.js'));
    expect(freshBundle(bundle)).toBeUndefined();
    write('core/dist/index.js', 'export {};\n', 1_000);
    expect(freshBundle(bundle)?.href).toBe(bundle.href);
    fs.writeFileSync(at('replay/dist/bundle/inputs.json'), '["../main.js"');
    expect(freshBundle(bundle)).toBeUndefined();
    expect(freshBundle(pathToFileURL(at('replay/dist/nothing/main.js')))).toBeUndefined();
  });

  it('takes a bundle installed under node_modules as current whatever order npm wrote the files in', () => {
    write('app/node_modules/@tracetape/replay/dist/main.js', 'export {};\n', 3_000);
    write('app/node_modules/@tracetape/replay/dist/bundle/main.js', 'export {};\n', 2_000);
    write('app/node_modules/@tracetape/replay/dist/bundle/inputs.json', JSON.stringify(['../main.js']), 2_000);
    const installed = pathToFileURL(at('app/node_modules/@tracetape/replay/dist/bundle/main.js'));
    // The module is newer than the bundle, as npm may well write them: the times do not decide there.
    expect(freshBundle(installed)?.href).toBe(installed.href);
    // Not installed at all: nothing to run.
    fs.rmSync(at('app/node_modules/@tracetape/replay/dist/bundle/main.js'));
    expect(freshBundle(installed)).toBeUndefined();
  });
});
