import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** How a bundle's currency is judged. */
export interface FreshBundleOptions {
  /**
   * A bundle installed under node_modules: `use` takes it as current without looking at file
   * times (npm writes the files it unpacks in no particular order, so their times say nothing
   * there, and the package's prepack wrote the bundle from the modules packed beside it): for a
   * bundle whose externals resolve as its own package declares them. `refuse` never runs it there.
   * Absent, file times decide wherever it is.
   */
  installed?: 'use' | 'refuse';
}

/**
 * A bundle esbuild wrote beside a package's modules (the register hook's dist/hook/, the CLI's
 * dist/bundle/), when it is current; undefined when there is none, or when it is older than the
 * modules and those are what runs. Current means: none of the files the inputs.json beside it
 * lists (relative to it) is newer than it, which a `tsc -b` without the bundle script breaks;
 * or, as `installed` says, that it is installed.
 */
export function freshBundle(bundle: URL, options: FreshBundleOptions = {}): URL | undefined {
  try {
    const file = fileURLToPath(bundle);
    const builtMs = fs.statSync(file).mtimeMs;
    if (options.installed && file.split(path.sep).includes('node_modules')) return options.installed === 'use' ? bundle : undefined;
    const inputs = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./inputs.json', bundle)), 'utf8')) as string[];
    return inputs.every((input) => fs.statSync(fileURLToPath(new URL(input, bundle))).mtimeMs <= builtMs) ? bundle : undefined;
  } catch {
    return undefined;
  }
}
