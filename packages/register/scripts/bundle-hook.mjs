#!/usr/bin/env node
/*
 * Bundles the register hook (dist/index.js, built by tsc) into dist/hook/: what `tracetape replay`
 * preloads into the app. Node's ESM loader resolves, reads and links each module on its own, and
 * the hook is some 600 of them in playback: one file per mode (split at the hook's dynamic
 * imports, so a replay loads none of the recording code) starts in a fraction of the time.
 *
 * Left out, loaded from node_modules as before:
 * - import-in-the-middle and require-in-the-middle: the OpenTelemetry loader hook
 *   (@opentelemetry/instrumentation/hook.mjs, run in the loader thread) hands modules to the
 *   import-in-the-middle instance in node_modules; a bundled copy would never hear of them;
 * - @mswjs/interceptors and undici: they read files beside their own code (llhttp.wasm);
 * - chdb: a native library;
 * - @clickhouse/client: a server store requires it only when one is made (the embedded store and a
 *   replay never do), which a bundle cannot follow; left out of the recording workers' bundle too,
 *   so that every part of the hook finds the one the installation has.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleInto } from '../../../scripts/esbuild-bundle.mjs';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await bundleInto({
  name: 'bundle-hook',
  outDir: path.join(packageDir, 'dist', 'hook'),
  entryPoints: [
    { in: path.join(packageDir, 'dist', 'index.js'), out: 'index' },
    // Workers started by URL beside the code that starts them (recording to a server, at exit).
    { in: path.join(packageDir, 'dist', 'export', 'ship-worker.js'), out: 'ship-worker' },
    { in: fileURLToPath(import.meta.resolve('@tracetape/clickhouse').replace(/index\.js$/, 'sync-insert-worker.js')), out: 'sync-insert-worker' },
  ],
  external: ['import-in-the-middle', 'require-in-the-middle', '@opentelemetry/instrumentation/hook.mjs', '@mswjs/interceptors', '@mswjs/interceptors/*', 'undici', 'chdb', '@clickhouse/client'],
});
