// What the register hook's and the CLI's bundle scripts share: one esbuild build of tsc's output
// into a folder beside it, split at dynamic imports, and the list of this workspace's files it was
// made from (inputs.json, relative to the folder), by which the code that loads a bundle tells
// whether a later `tsc -b` has left it behind (packages/replay/src/fresh-bundle.ts).
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles `entryPoints` into `outDir` (emptied first); `external` stays loaded from node_modules.
 * Resolves once inputs.json is written; a failed build exits the process with the reason, as `name`.
 */
export async function bundleInto({ name, outDir, entryPoints, external }) {
  rmSync(outDir, { recursive: true, force: true });
  try {
    const { metafile } = await build({
      metafile: true,
      entryPoints,
      outdir: outDir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      // CommonJS dependencies call require(): give the bundle one.
      banner: { js: "import { createRequire as __tracetapeCreateRequire } from 'node:module'; const require = __tracetapeCreateRequire(import.meta.url);" },
      external,
      logLevel: 'warning',
    });
    // The workspace's own files in the bundle, relative to it (as installed, @tracetape/* sit side
    // by side too).
    const own = Object.keys(metafile.inputs)
      .filter((input) => !input.split(/[\\/]/).includes('node_modules'))
      .map((input) => path.relative(outDir, path.resolve(input)));
    writeFileSync(path.join(outDir, 'inputs.json'), `${JSON.stringify(own)}\n`);
  } catch (error) {
    console.error(`${name}: ${error.message}`);
    process.exit(1);
  }
}
