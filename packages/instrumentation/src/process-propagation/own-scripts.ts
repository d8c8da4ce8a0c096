import path from 'node:path';
import { fileURLToPath } from 'node:url';

// tracetape's packages, wherever installed: a workspace link resolves to packages/<name>/dist.
const OWN_PACKAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const OWN_DIRS = ['core', 'instrumentation', 'clickhouse', 'log', 'collector', 'register', 'replay'].flatMap((name) =>
  ['dist', 'src'].map((code) => `${OWN_PACKAGES_DIR}${path.sep}${name}${path.sep}${code}${path.sep}`),
);
const INSTALLED = `${path.sep}node_modules${path.sep}@tracetape${path.sep}`;

/**
 * Whether a process or worker would run one of tracetape's own scripts (the exporter's exit-time
 * workers): those run bare on purpose, and must not join the run, or they would record themselves.
 */
export function startsOwnScript(values: readonly unknown[]): boolean {
  return values.some((value) => {
    const file = value instanceof URL ? (value.protocol === 'file:' ? fileURLToPath(value) : undefined) : typeof value === 'string' ? asPath(value) : undefined;
    return file !== undefined && (file.includes(INSTALLED) || OWN_DIRS.some((dir) => file.startsWith(dir)));
  });
}

function asPath(value: string): string {
  if (!value.startsWith('file:')) return value;
  try {
    return fileURLToPath(value);
  } catch {
    return value;
  }
}
