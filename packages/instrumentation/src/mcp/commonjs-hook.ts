import { Hook } from 'require-in-the-middle';

/** The SDK's CommonJS transport module, named as require-in-the-middle names a file inside a package (no extension). */
const COMMONJS_TRANSPORT = '@modelcontextprotocol/sdk/dist/cjs/client/stdio';

type Patch = (moduleExports: unknown) => void;

const patches = new Set<Patch>();
/** One hook for the process: each hook wraps `require` once more, and sessions come and go (replayTape makes one per call). */
let hook: Hook | undefined;

/**
 * Calls `patch` with the SDK's CommonJS transport module when the app requires it. OpenTelemetry's
 * shared require hook never sees that file: to tell a package's files apart it resolves the
 * package's main, and the `require` export of "." in @modelcontextprotocol/sdk 1.x names a file
 * its build does not ship (dist/cjs/index.js), so every CommonJS file of the package is skipped. A
 * hook that names the file itself skips that resolution. Returns the undo.
 */
export function hookCommonJsTransport(patch: Patch): () => void {
  patches.add(patch);
  hook ??= new Hook([COMMONJS_TRANSPORT], { internals: true }, (moduleExports) => {
    for (const each of patches) each(moduleExports);
    return moduleExports;
  });
  return () => void patches.delete(patch);
}
