import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharesLoaderImportInTheMiddle } from '../src/hook-bundle.js';

// An app's node_modules as npm lays it out: @tracetape/register and the @opentelemetry/instrumentation
// whose loader hook it registers, each finding import-in-the-middle by walking up from its folder.
let app: string;
const at = (relative: string): string => path.join(app, 'node_modules', relative);
function pkg(relative: string, main = 'index.js'): void {
  fs.mkdirSync(path.dirname(at(path.join(relative, main))), { recursive: true });
  fs.writeFileSync(at(path.join(relative, 'package.json')), JSON.stringify({ name: relative.split('node_modules/').at(-1), main }));
  fs.writeFileSync(at(path.join(relative, main)), '');
}
const registerEntry = (): string => at('@tracetape/register/dist/index.js');

beforeEach(() => {
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-hook-bundle-'));
  pkg('@tracetape/register', 'dist/index.js');
  pkg('@opentelemetry/instrumentation', 'dist/index.cjs');
  pkg('import-in-the-middle');
});
afterEach(() => fs.rmSync(app, { recursive: true, force: true }));

describe('sharesLoaderImportInTheMiddle', () => {
  it('holds when both find the one hoisted copy', () => {
    expect(sharesLoaderImportInTheMiddle(registerEntry())).toBe(true);
  });

  it('fails when the app keeps another version at the top and npm nests a copy under each', () => {
    pkg('@tracetape/register/node_modules/import-in-the-middle');
    pkg('@opentelemetry/instrumentation/node_modules/import-in-the-middle');
    expect(sharesLoaderImportInTheMiddle(registerEntry())).toBe(false);
  });

  it('fails when only one side has a copy of its own', () => {
    pkg('@opentelemetry/instrumentation/node_modules/import-in-the-middle');
    expect(sharesLoaderImportInTheMiddle(registerEntry())).toBe(false);
  });

  it('fails when either cannot be found', () => {
    fs.rmSync(at('import-in-the-middle'), { recursive: true });
    expect(sharesLoaderImportInTheMiddle(registerEntry())).toBe(false);
  });
});
