import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Code whose clock and random reads are not the app's: Node's internals, the OpenTelemetry SDK
 * (span start times), the interceptors and tracetape itself, and the stores it writes to. Their
 * reads would differ between recording and replay and must neither be recorded nor served.
 */
const PACKAGE_MARKERS = [
  '/node_modules/@opentelemetry/',
  '/node_modules/@mswjs/',
  '/node_modules/@clickhouse/',
  '/node_modules/chdb/',
  '/node_modules/import-in-the-middle/',
  '/node_modules/require-in-the-middle/',
  '/node_modules/@tracetape/',
];

// This package, wherever it is installed (a workspace link resolves to packages/<name>/dist).
const OWN_PACKAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const OWN_MARKERS = ['core', 'instrumentation', 'clickhouse', 'register', 'replay'].map(
  (name) => `${OWN_PACKAGES_DIR}${path.sep}${name}${path.sep}dist${path.sep}`,
);

const FRAMES_EXAMINED = 8;

/**
 * True when the read was not made by the app. The first caller outside Node's own modules decides
 * (node:crypto's getRandomValues, say, reads for the app that called it); a stack of Node frames
 * only is Node's own business.
 */
export function isExcludedCaller(patched: Function): boolean {
  // Structured call sites: no stack text is formatted, which is most of what a stack costs.
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = FRAMES_EXAMINED;
  Error.prepareStackTrace = (_error, sites) => sites;
  Error.captureStackTrace(holder, patched);
  const sites = holder.stack ?? [];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  for (const site of sites) {
    const file = site.getFileName() ?? '';
    if (file.startsWith('node:')) continue;
    const location = file.startsWith('file://') ? safeFilePath(file) : file;
    return PACKAGE_MARKERS.some((marker) => location.includes(marker)) || OWN_MARKERS.some((marker) => location.startsWith(marker));
  }
  return true;
}

function safeFilePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
