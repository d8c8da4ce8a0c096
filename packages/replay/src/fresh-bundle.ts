import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A bundle esbuild wrote beside a package's modules (the register hook's dist/hook/, the CLI's
 * dist/bundle/), when it is current; undefined when there is none, or when it is older than the
 * modules and those are what runs. In a workspace, current means: none of the files the
 * inputs.json beside it lists (relative to it) is newer than it, which a `tsc -b` without the
 * bundle script breaks. Under node_modules it is current as installed: npm writes the files it
 * unpacks in no particular order, so their times say nothing there, and the package's prepack
 * wrote the bundle from the modules packed beside it (its externals resolve as the package
 * declares them: the bundle script refuses any it does not).
 */
export function freshBundle(bundle: URL): URL | undefined {
  try {
    const file = fileURLToPath(bundle);
    const builtMs = fs.statSync(file).mtimeMs;
    if (file.split(path.sep).includes('node_modules')) return bundle;
    const inputs = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./inputs.json', bundle)), 'utf8')) as string[];
    return inputs.every((input) => fs.statSync(fileURLToPath(new URL(input, bundle))).mtimeMs <= builtMs) ? bundle : undefined;
  } catch {
    return undefined;
  }
}
