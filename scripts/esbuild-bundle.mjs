// What the register hook's and the CLI's bundle scripts share: one esbuild build of tsc's output
// into a folder beside it, split at dynamic imports, and the list of this workspace's files it was
// made from (inputs.json, relative to the folder), by which the code that loads a bundle tells
// whether a later `tsc -b` has left it behind (packages/replay/src/fresh-bundle.ts).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles `entryPoints` into `outDir` (emptied first); `external` stays loaded from node_modules,
 * resolved from the bundle's folder, so the package at `packageDir` must declare every external
 * the bundle imports. Resolves once inputs.json is written; a failed build, or an external import
 * the package does not declare, exits the process with the reason, as `name`.
 */
export async function bundleInto({ name, packageDir, outDir, entryPoints, external }) {
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
      // Maps back through tsc's own maps to src/*.ts (packed beside dist/): with
      // --enable-source-maps a stack names the source lines, not a chunk's.
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'warning',
    });
    const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const undeclared = undeclaredExternals(metafile, manifest);
    if (undeclared.length > 0) {
      const list = undeclared.map(({ name, importedBy }) => `${name} (imported by ${importedBy[0]}${importedBy.length > 1 ? ` and ${importedBy.length - 1} more` : ''})`);
      throw new Error(
        `the bundle imports ${list.join(', ')}, which ${manifest.name} does not declare; installed, the import would find ` +
          "whatever copy happens to sit above the package, or none. Add it to the package's dependencies, with the range the code that imports it declares.",
      );
    }
    // The workspace's own files in the bundle, relative to it (as installed, @tracetape/* sit side
    // by side too). Written last: a bundle with no inputs.json is never taken as current.
    const own = Object.keys(metafile.inputs)
      .filter((input) => !input.split(/[\\/]/).includes('node_modules'))
      .map((input) => path.relative(outDir, path.resolve(input)));
    writeFileSync(path.join(outDir, 'inputs.json'), `${JSON.stringify(own)}\n`);
  } catch (error) {
    // Nothing half made stays behind for the code that loads bundles to find.
    rmSync(outDir, { recursive: true, force: true });
    console.error(`${name}: ${error.message}`);
    process.exit(1);
  }
}

/**
 * The packages a bundle imports from node_modules (esbuild's metafile) that `manifest` does not
 * list among its dependencies, by name, each with the inputs that import it; Node's built-in
 * modules are not packages.
 */
export function undeclaredExternals(metafile, manifest) {
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const missing = new Map();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const { path: specifier, external } of imports) {
      if (!external || isBuiltin(specifier) || specifier.startsWith('.') || path.isAbsolute(specifier)) continue;
      const name = packageNameOf(specifier);
      if (declared.has(name)) continue;
      const importers = missing.get(name) ?? [];
      if (!importers.includes(input)) importers.push(input);
      missing.set(name, importers);
    }
  }
  return [...missing].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, importedBy]) => ({ name, importedBy }));
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
