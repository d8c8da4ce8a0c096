#!/usr/bin/env node
/*
 * Builds the page of `tracetape ui`: web/main.tsx bundled into dist/web/app.js, with index.html and
 * app.css beside it (the server serves dist/web/* under /assets/).
 * `--check` also type-checks the web code first; the bundle alone is kept fast for the edit loop.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(packageDir, 'web');
const outDir = path.join(packageDir, 'dist', 'web');

function fail(message) {
  console.error(`build-web: ${message}`);
  process.exit(1);
}

if (process.argv.includes('--check')) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(webDir, 'tsconfig.json')], { stdio: 'inherit' });
  if (result.status !== 0) fail(`the web code does not type-check (tsc exited with ${result.status ?? result.signal}).`);
}

mkdirSync(outDir, { recursive: true });
try {
  await build({
    entryPoints: [path.join(webDir, 'main.tsx')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
  });
} catch {
  // esbuild has already printed each error with its file and line.
  fail('bundling web/main.tsx failed.');
}
for (const file of ['index.html', 'app.css']) copyFileSync(path.join(webDir, file), path.join(outDir, file));

const kb = (file) => `${(statSync(path.join(outDir, file)).size / 1024).toFixed(1)} kB`;
console.log(`build-web: dist/web/app.js ${kb('app.js')}, app.css ${kb('app.css')}`);
