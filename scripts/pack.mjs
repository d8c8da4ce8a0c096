// `npm run pack [-- <folder>]`: builds the packages and writes the tarball of every workspace
// package into one folder (dist-packages/ by default), so an app installs them with one command:
//   npm install <folder>/*.tgz
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const destination = path.resolve(process.cwd(), process.argv[2] ?? path.join(ROOT, 'dist-packages'));
const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function fail(message) {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(1);
}

// Build once here, so a compile error stops everything before any tarball is written (each
// package's prepack builds too, for `npm pack -w` run on its own; after this it has nothing to do).
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
if (spawnSync(process.execPath, [tsc, '-b'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) {
  fail('the build (tsc -b) failed: fix the errors above, then run `npm run pack` again.');
}

// tsc -b never deletes what a removed or renamed source compiled to, and npm packs all of dist/:
// drop such leftovers so a tarball holds only code that still has a source.
const OUTPUT = /\.(d\.ts\.map|d\.ts|js\.map|js)$/;
// The register hook's and the CLI's bundles (scripts/bundle-hook.mjs, scripts/bundle-cli.mjs in
// their packages), by workspace: they have no source of their own.
const BUNDLES = { 'packages/register': 'hook', 'packages/replay': 'bundle' };
for (const workspace of rootPackage.workspaces) {
  const dist = path.join(ROOT, workspace, 'dist');
  if (!fs.existsSync(dist)) continue;
  for (const entry of fs.readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !OUTPUT.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (BUNDLES[workspace] && path.relative(dist, file).startsWith(`${BUNDLES[workspace]}${path.sep}`)) continue;
    const source = path.join(ROOT, workspace, 'src', path.relative(dist, file)).replace(OUTPUT, '.ts');
    if (!fs.existsSync(source)) {
      fs.rmSync(file);
      process.stderr.write(`pack: removed ${path.relative(ROOT, file)} (no ${path.relative(ROOT, source)} any more)\n`);
    }
  }
}

// Tarballs of an older build would sit beside the new ones and be installed together.
fs.mkdirSync(destination, { recursive: true });
for (const name of fs.readdirSync(destination)) {
  if (/^tracetape(-.+)?-\d+\.\d+\.\d+.*\.tgz$/.test(name)) fs.rmSync(path.join(destination, name));
}

// The npm that runs this script (npm run sets npm_execpath), else the one on PATH.
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const packed = spawnSync(npm[0], [...npm.slice(1), 'pack', '--workspaces', '--pack-destination', destination, '--silent'], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
if (packed.status !== 0) fail(`npm pack failed (exit code ${packed.status}): see its messages above.`);

const tarballs = packed.stdout.split('\n').map((line) => line.trim()).filter((line) => line.endsWith('.tgz'));
const expected = rootPackage.workspaces.length;
if (tarballs.length !== expected) fail(`expected ${expected} tarballs (one per workspace package), npm pack wrote ${tarballs.length}: ${tarballs.join(', ')}`);

const relative = path.relative(process.cwd(), destination);
const shown = relative === '' ? '.' : relative.startsWith('..') ? destination : relative;
process.stdout.write(`${tarballs.length} tarballs in ${destination}:\n`);
for (const name of tarballs) {
  const kb = Math.round(fs.statSync(path.join(destination, name)).size / 1024);
  process.stdout.write(`  ${name}  (${kb} kB)\n`);
}
process.stdout.write(`\nInstall them into an app (Node.js 22.15+), all in one command:\n  npm install ${path.join(shown, '*.tgz')}\n`);
