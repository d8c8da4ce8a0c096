import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** How a bundle's currency is judged. */
export interface FreshBundleOptions {
  /**
   * Take a bundle installed under node_modules as current without looking at file times: npm
   * writes the files it unpacks in no particular order, so their times say nothing there, and the
   * package's prepack wrote the bundle from the modules packed beside it. Only for a bundle whose
   * externals resolve as its own package declares them.
   */
  installedIsCurrent?: boolean;
}

/**
 * A bundle esbuild wrote beside a package's modules (the register hook's dist/hook/, the CLI's
 * dist/bundle/), when it is current; undefined when there is none, or when it is older than the
 * modules and those are what runs. Current means: none of the files its inputs.json lists
 * (relative to the bundle) is newer than it, which a `tsc -b` without the bundle script breaks;
 * or, with `installedIsCurrent`, that it is installed.
 */
export function freshBundle(bundle: URL, inputsFile: URL, options: FreshBundleOptions = {}): URL | undefined {
  try {
    const file = fileURLToPath(bundle);
    const builtMs = fs.statSync(file).mtimeMs;
    if (options.installedIsCurrent && file.split(path.sep).includes('node_modules')) return bundle;
    const inputs = JSON.parse(fs.readFileSync(fileURLToPath(inputsFile), 'utf8')) as string[];
    return inputs.every((input) => fs.statSync(fileURLToPath(new URL(input, bundle))).mtimeMs <= builtMs) ? bundle : undefined;
  } catch {
    return undefined;
  }
}
