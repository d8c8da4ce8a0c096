import { propagation, type TextMapPropagator } from '@opentelemetry/api';

/** Where every copy of the OpenTelemetry API 1.x keeps its globals: the one place they meet. */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/** The registrations the hook's own pipeline holds; the rest (diag, metrics) are left to whoever made them. */
export type HookGlobal = 'trace' | 'context' | 'propagation';

type Globals = Record<string, unknown> & { readonly version?: string };
const holder = globalThis as { [API_GLOBALS]?: Globals };

/** What is registered as the API's global `name` (tracer provider, context manager, propagator), by any copy of the API. */
export function apiGlobal(name: HookGlobal): unknown {
  return holder[API_GLOBALS]?.[name];
}

/** The version of the API copy that made the globals: registering needs the same, to the patch. */
export function globalsVersion(): string | undefined {
  return holder[API_GLOBALS]?.version;
}

/**
 * The version the hook's copy of the API registers under. The API does not export it; its first
 * registration stamps it on the globals it creates, so one is made aside and the globals put back.
 */
export function hookApiVersion(): string | undefined {
  const saved = holder[API_GLOBALS];
  delete holder[API_GLOBALS];
  try {
    propagation.setGlobalPropagator(NO_PROPAGATION);
    return holder[API_GLOBALS]?.version;
  } finally {
    if (saved) holder[API_GLOBALS] = saved;
    else delete holder[API_GLOBALS];
  }
}

/**
 * Drops the registrations `names` from the API's globals, and, when they were made under another
 * API version, makes the globals anew under `version` (carrying everything else over), so that
 * the hook's copy of the API can register its own.
 */
export function dropGlobals(names: readonly HookGlobal[], version: string): void {
  const globals = holder[API_GLOBALS];
  if (!globals) return;
  for (const name of names) delete globals[name];
  if (globals.version === version) return;
  const renewed: Globals = Object.defineProperty({}, 'version', { value: version, enumerable: true, writable: false, configurable: false });
  for (const [name, value] of Object.entries(globals)) if (name !== 'version') renewed[name] = value;
  holder[API_GLOBALS] = renewed;
}

const NO_PROPAGATION: TextMapPropagator = {
  inject: () => undefined,
  extract: (context) => context,
  fields: () => [],
};
