import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Code whose clock and random reads are not the app's: Node's internals, the OpenTelemetry SDK
 * (span start times) and what its resource detectors call, the interceptors and tracetape itself,
 * and the stores it writes to. Their
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
  // The GCP resource detector that OpenTelemetry's zero-code setup runs by default asks the
  // metadata server through gcp-metadata and gaxios, in the background while the app starts: their
  // clock reads (gaxios's retry bookkeeping) race the app's, so a replay served them out of order.
  '/node_modules/gcp-metadata/',
  '/node_modules/gaxios/',
];

// This package, wherever it is installed (a workspace link resolves to packages/<name>/dist).
const OWN_PACKAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const OWN_MARKERS = ['core', 'instrumentation', 'clickhouse', 'log', 'collector', 'register', 'replay'].map(
  (name) => `${OWN_PACKAGES_DIR}${path.sep}${name}${path.sep}dist${path.sep}`,
);

const FRAMES_EXAMINED = 8;
// Almost every read is made directly by a library (the SDK timing a span, the interceptors naming
// a request), so one frame usually decides; a stack is only walked further when it starts in Node.
const FRAMES_FIRST_LOOK = 1;
const BUNDLED_LIBRARIES = 'node:internal/deps/';

/** Decisions by file: a service reads the clock from the same few files thousands of times. */
const excludedByFile = new Map<string, boolean>();
const MAX_CACHED_FILES = 4096;

function callSites(patched: Function, frames: number): NodeJS.CallSite[] {
  // Structured call sites: no stack text is formatted, which is most of what a stack costs.
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = frames;
  Error.prepareStackTrace = (_error, sites) => sites;
  Error.captureStackTrace(holder, patched);
  const sites = holder.stack ?? [];
  Error.prepareStackTrace = prepare;
  Error.stackTraceLimit = limit;
  return sites;
}

function isExcludedFile(file: string): boolean {
  let excluded = excludedByFile.get(file);
  if (excluded === undefined) {
    const location = file.startsWith('file://') ? safeFilePath(file) : file;
    excluded = PACKAGE_MARKERS.some((marker) => location.includes(marker)) || OWN_MARKERS.some((marker) => location.startsWith(marker));
    if (excludedByFile.size >= MAX_CACHED_FILES) excludedByFile.clear();
    excludedByFile.set(file, excluded);
  }
  return excluded;
}

/** Library calls in progress on this thread whose every read is known not to be the app's. */
let libraryCalls = 0;

/**
 * Calls `fn` as library code: the clock and random reads it makes, however deep, are excluded
 * without a look at the stack. For calls that never run the app's code inside them.
 */
export function callAsLibrary<T>(fn: (...args: never[]) => T, self: unknown, args: readonly unknown[]): T {
  libraryCalls++;
  try {
    return Reflect.apply(fn, self, args) as T;
  } finally {
    libraryCalls--;
  }
}

/**
 * True when the read was not made by the app. The first caller outside Node's own modules decides
 * (node:crypto's getRandomValues, say, reads for the app that called it); a stack of Node frames
 * only is Node's own business.
 */
export function isExcludedCaller(patched: Function): boolean {
  if (libraryCalls > 0) return true;
  const first = callSites(patched, FRAMES_FIRST_LOOK)[0]?.getFileName();
  if (first && !first.startsWith('node:')) return isExcludedFile(first);
  // Libraries bundled into Node (undici behind fetch) time their own work; no app calls through them.
  if (first?.startsWith(BUNDLED_LIBRARIES)) return true;
  for (const site of callSites(patched, FRAMES_EXAMINED)) {
    const file = site.getFileName() ?? '';
    if (file.startsWith('node:')) continue;
    return isExcludedFile(file);
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
