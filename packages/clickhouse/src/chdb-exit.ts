import { createRequire } from 'node:module';
import type { Session } from 'chdb';
import { requireFromPackage } from './own-dependencies.js';

interface ChdbNative {
  CloseConnection(connection: unknown): void;
}

let native: ChdbNative | null | undefined;

// chDB does not export its binding; its own loader (next to its index) hands out the loaded addon.
function chdbNative(): ChdbNative | null {
  if (native !== undefined) return native;
  try {
    const chdbIndex = requireFromPackage().resolve('chdb');
    const loaded = (createRequire(chdbIndex)('./dist/loader.js') as { loadNative(): Partial<ChdbNative> }).loadNative();
    native = typeof loaded.CloseConnection === 'function' ? (loaded as ChdbNative) : null;
  } catch {
    native = null;
  }
  return native;
}

/**
 * Releases a session's connection at once, for 'exit' handlers. chDB's Session.close() holds the
 * connection until every asynchronous call's promise has settled, and at exit none settles again,
 * so the connection would be left to the engine's own exit hook, which crashes the process
 * (SIGSEGV) after an insert into a table with skip indexes, such as otel_traces. A synchronous query
 * first waits for the one the engine is running (a session runs one at a time). Returns false
 * where this chDB build does not expose its binding as expected; the caller closes as usual then.
 */
export function closeSessionAtExit(session: Session): boolean {
  const binding = chdbNative();
  if (!binding || session.connection === null || session.connection === undefined) return false;
  session.query('SELECT 1', 'TabSeparated');
  binding.CloseConnection(session.connection);
  // Session.close() then finds no connection to release, and chDB's exit hook no open session.
  session.connection = null;
  session.close();
  return true;
}
