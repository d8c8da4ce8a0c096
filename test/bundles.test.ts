import fs from 'node:fs';
import path from 'node:path';
import { SourceMap } from 'node:module';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { undeclaredExternals } from '../scripts/esbuild-bundle.mjs';
import { tempDir } from './support/cli.js';

// What the hook's and the CLI's bundles rest on. They leave some packages out, imported at run
// time from the bundle's own folder: installed, only a package the bundled package declares is
// certain to be found there, in the version its code was written against (the bundle script
// refuses any other). They hold copies of their sibling packages' code. And a stack through them
// can name the TypeScript lines.

const work = tempDir('tracetape-bundle-externals-');
afterAll(() => work.remove());

async function metafileOf(source: string, external: string[]): Promise<unknown> {
  const entry = path.join(work.dir, `entry-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(entry, source);
  const { metafile } = await build({ entryPoints: [entry], outdir: path.join(work.dir, 'out'), bundle: true, splitting: true, format: 'esm', platform: 'node', external, metafile: true, write: false, logLevel: 'silent' });
  return metafile;
}

describe('undeclaredExternals', () => {
  it('names each package the bundle imports from node_modules that the manifest does not declare, once, sub-paths and scopes folded', async () => {
    const metafile = await metafileOf(
      "import 'left-in'; import { Hook } from 'undeclared'; import '@scope/tool/sub/path.js'; import '@scope/tool'; import fs from 'node:fs'; import 'path';\n" +
        "export const later = () => import('lazy-one'); console.log(Hook, fs);\n",
      ['left-in', 'undeclared', '@scope/tool', '@scope/tool/*', 'lazy-one'],
    );
    const undeclared = undeclaredExternals(metafile, { name: 'x', dependencies: { 'left-in': '^1.0.0' } }) as Array<{ name: string; importedBy: string[] }>;
    expect(undeclared.map(({ name }) => name)).toEqual(['@scope/tool', 'lazy-one', 'undeclared']);
    for (const { importedBy } of undeclared) expect(importedBy).toEqual([expect.stringMatching(/entry-[a-z0-9]+\.mjs$/)]);
    expect(undeclaredExternals(metafile, { name: 'x', dependencies: { 'left-in': '^1', undeclared: '^2', '@scope/tool': '^3' }, optionalDependencies: { 'lazy-one': '^4' } })).toEqual([]);
  });
});

describe('the packages the bundles are made of', () => {
  it('depend on each other at exactly the version beside them: a bundle holds copies of its siblings\' code, frozen when it is packed', () => {
    const root = path.join(__dirname, '..', 'packages');
    const manifests = fs.readdirSync(root).map((name) => JSON.parse(fs.readFileSync(path.join(root, name, 'package.json'), 'utf8')) as { name: string; version: string; dependencies?: Record<string, string> });
    const versions = new Map(manifests.map((manifest) => [manifest.name, manifest.version]));
    const internal = manifests.flatMap((manifest) =>
      Object.entries(manifest.dependencies ?? {})
        .filter(([name]) => versions.has(name))
        .map(([name, range]) => ({ dependent: manifest.name, name, range })),
    );
    expect(internal.length).toBeGreaterThan(10);
    expect(internal.filter(({ name, range }) => range !== versions.get(name))).toEqual([]);
  });
});

describe('the bundles as built', () => {
  it('map their lines back to the TypeScript sources, through tsc\'s own maps', () => {
    const bundleDir = path.join(__dirname, '..', 'packages/replay/dist/bundle');
    const chunk = fs.readdirSync(bundleDir).find((name) => name.endsWith('.js') && fs.readFileSync(path.join(bundleDir, name), 'utf8').includes('async function buildTape('));
    expect(chunk, 'no chunk of the CLI\'s bundle holds buildTape').toBeDefined();
    const lines = fs.readFileSync(path.join(bundleDir, chunk!), 'utf8').split('\n');
    expect(lines.at(-1) || lines.at(-2)).toBe(`//# sourceMappingURL=${chunk}.map`);
    const map = new SourceMap(JSON.parse(fs.readFileSync(path.join(bundleDir, `${chunk}.map`), 'utf8')));
    const entry = map.findEntry(lines.findIndex((line) => line.includes('async function buildTape(')), 2);
    const source = fs.readFileSync(path.join(__dirname, '..', 'packages/replay/src/tape-builder.ts'), 'utf8').split('\n');
    expect('originalSource' in entry && entry.originalSource).toBe('../../src/tape-builder.ts');
    expect('originalLine' in entry && source[entry.originalLine]).toMatch(/^export async function buildTape\(/);
    // The hook's, made by the same script.
    expect(fs.readFileSync(path.join(__dirname, '..', 'packages/register/dist/hook/index.js'), 'utf8')).toContain('//# sourceMappingURL=index.js.map');
  });
});
