#!/usr/bin/env node
/*
 * Bundles the `tracetape` command (dist/main.js, built by tsc) into dist/bundle/, which dist/cli.js
 * runs while it is current. Node's ESM loader resolves, reads and links each module on its own, and
 * `tracetape replay` is some 240 of them: one file per command (split at the CLI's dynamic imports,
 * so a replay loads none of the collector's or the UI's code) starts ~100 ms sooner on a two-core
 * machine, and the app a replay starts with it.
 *
 * Left out, required by @tracetape/clickhouse from its own folder, as it declares them: chdb (a
 * native library) and @clickhouse/client (a server store requires it only when one is made, which
 * a bundle cannot follow). Its synchronous insert's worker runs from its own dist/ too.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleInto } from '../../../scripts/esbuild-bundle.mjs';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await bundleInto({
  name: 'bundle-cli',
  packageDir,
  outDir: path.join(packageDir, 'dist', 'bundle'),
  entryPoints: [{ in: path.join(packageDir, 'dist', 'main.js'), out: 'main' }],
  external: ['chdb', '@clickhouse/client'],
});
