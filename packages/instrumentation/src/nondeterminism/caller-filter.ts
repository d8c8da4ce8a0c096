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
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES_EXAMINED;
  Error.captureStackTrace(holder, patched);
  Error.stackTraceLimit = limit;
  const frames = holder.stack?.split('\n').slice(1) ?? [];
  const caller = frames.find((frame) => !/[( ]node:/.test(frame));
  if (caller === undefined) return true;
  const location = caller.includes('file://') ? safeFilePath(caller) : caller;
  return PACKAGE_MARKERS.some((marker) => location.includes(marker)) || OWN_MARKERS.some((marker) => location.includes(marker));
}

function safeFilePath(frame: string): string {
  const match = /file:\/\/[^\s)]+/.exec(frame);
  if (!match) return frame;
  try {
    return fileURLToPath(match[0].replace(/:\d+:\d+$/, ''));
  } catch {
    return frame;
  }
}
