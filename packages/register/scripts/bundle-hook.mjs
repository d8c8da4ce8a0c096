#!/usr/bin/env node
/*
 * Bundles the register hook (dist/index.js, built by tsc) into dist/hook/: what `tracetape replay`
 * preloads into the app. Node's ESM loader resolves, reads and links each module on its own, and
 * the hook is some 600 of them in playback: one file per mode (split at the hook's dynamic
 * imports, so a replay loads none of the recording code) starts in a fraction of the time.
 *
 * Left out, loaded from node_modules as before (resolved from this package's folder, so declared
 * in its package.json with the ranges of the code that imports them; bundleInto refuses a bundle
 * that imports a package the package does not declare):
 * - import-in-the-middle and require-in-the-middle: the OpenTelemetry loader hook
 *   (@opentelemetry/instrumentation/hook.mjs, run in the loader thread) hands modules to the
 *   import-in-the-middle instance in node_modules; a bundled copy would never hear of them (nor
 *   does a nested one: `tracetape replay` preloads the modules then, packages/replay/src/hook-bundle.ts);
 * - @mswjs/interceptors: its copy of llhttp reads files beside its own code;
 * - chdb and @clickhouse/client: @tracetape/clickhouse requires them from its own folder, as it
 *   declares them (a server store requires the client only when one is made, which a bundle cannot
 *   follow); its synchronous insert's worker runs from its own dist/ too.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleInto } from '../../../scripts/esbuild-bundle.mjs';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await bundleInto({
  name: 'bundle-hook',
  packageDir,
  outDir: path.join(packageDir, 'dist', 'hook'),
  entryPoints: [
    { in: path.join(packageDir, 'dist', 'index.js'), out: 'index' },
    // A worker started by URL beside the code that starts it (recording to a server, at exit).
    { in: path.join(packageDir, 'dist', 'export', 'ship-worker.js'), out: 'ship-worker' },
  ],
  external: ['import-in-the-middle', 'require-in-the-middle', '@mswjs/interceptors', '@mswjs/interceptors/*', 'chdb', '@clickhouse/client'],
});
