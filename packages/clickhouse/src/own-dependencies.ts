import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// This package's code also runs bundled into other packages' folders (the CLI's dist/bundle, the
// register hook's dist/hook). From there, a dependency of this package is not necessarily the one
// it declares: npm nests this package's own copy when the app depends on another version (an app
// on an older @clickhouse/client would hand tracetape its client). So its dependencies and its
// worker files are found from the package's entry point, looked up by name, not from this file.
let entry: string | undefined;
function packageEntry(): string {
  entry ??= createRequire(import.meta.url).resolve('@tracetape/clickhouse');
  return entry;
}

/** `require` of a dependency (chDB, the ClickHouse client) as this package declares it. */
export function requireOwnDependency<T>(name: string): T {
  return createRequire(packageEntry())(name) as T;
}

/** Where a dependency of this package resolves to, as `require.resolve` from the package says. */
export function resolveOwnDependency(name: string): string {
  return createRequire(packageEntry()).resolve(name);
}

/** A file of this package's dist/, such as a worker started by path. */
export function ownDistFile(name: string): URL {
  return new URL(name, pathToFileURL(packageEntry()));
}
