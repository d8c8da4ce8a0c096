import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A bundle esbuild wrote beside a package's modules (the register hook's dist/hook/, the CLI's
 * dist/bundle/), when it is current; undefined when there is none, or when it is older than the
 * modules and those are what runs.
 *
 * Installed from a tarball (under node_modules), it is current: the package's prepack wrote it
 * from the modules packed beside it, and npm writes the unpacked files in no particular order, so
 * their times say nothing. In a workspace it is current while none of the files its inputs.json
 * lists (relative to the bundle) is newer than it: a `tsc -b` run without the bundle script leaves
 * it behind.
 */
export function freshBundle(bundle: URL, inputsFile: URL): URL | undefined {
  try {
    const file = fileURLToPath(bundle);
    const builtMs = fs.statSync(file).mtimeMs;
    if (file.split(path.sep).includes('node_modules')) return bundle;
    const inputs = JSON.parse(fs.readFileSync(fileURLToPath(inputsFile), 'utf8')) as string[];
    return inputs.every((input) => fs.statSync(fileURLToPath(new URL(input, bundle))).mtimeMs <= builtMs) ? bundle : undefined;
  } catch {
    return undefined;
  }
}
