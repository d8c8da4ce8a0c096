import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// This package's code also runs bundled into other packages' folders (the CLI's dist/bundle, the
// register hook's dist/hook). From there, a dependency of this package is not necessarily the one
// it declares: npm nests this package's own copy when the app depends on another version (an app
// on an older @clickhouse/client would hand tracetape its client). So its dependencies and its
// worker files are found from the package's own folder, looked up by name (its package.json,
// which is there whether or not dist/ is built), not from this file.
let manifest: string | undefined;
let ownRequire: NodeJS.Require | undefined;
function packageManifest(): string {
  manifest ??= createRequire(import.meta.url).resolve('@tracetape/clickhouse/package.json');
  return manifest;
}

/** `require` from this package's own folder: its dependencies (chDB, the ClickHouse client) as it declares them. */
export function requireFromPackage(): NodeJS.Require {
  ownRequire ??= createRequire(packageManifest());
  return ownRequire;
}

/** A file of this package's dist/, such as a worker started by path. */
export function ownDistFile(name: string): URL {
  return pathToFileURL(path.join(path.dirname(packageManifest()), 'dist', name));
}
