import type { Instrumentation } from '@opentelemetry/instrumentation';

type Wrap = (exports: Record<string, unknown>, name: string, wrapper: (original: never) => unknown) => unknown;
type Unwrap = (exports: Record<string, unknown>, name: string) => unknown;
interface Wrapping {
  _wrap: Wrap;
  _unwrap: Unwrap;
}

/** Wrappers tracetape's instrumentations put in place. */
const ownWrappers = new WeakSet<object>();

/**
 * Keeps tracetape's patches in place when the app brings instrumentations of its own for the same
 * modules (`getNodeAutoInstrumentations()`, a `new HttpInstrumentation()`), and the app's in place
 * under tracetape's. OpenTelemetry's `_wrap()` first removes any wrapper it finds on the function,
 * to keep one instrumentation from patching twice (several patch the same function at two hooks,
 * as the PostgreSQL one does for `pg/lib/client.js` and for `pg`); but it cannot tell another
 * instance's wrapper from its own. Must run before the instrumentation patches anything (patches
 * are made as the app loads the modules).
 *
 * - The app's SDK started after the hook (`appPatchesFirst` false): at each hook the app's
 *   instrumentation patches after tracetape's and removed tracetape's wrapper: inbound requests and
 *   PostgreSQL queries went unrecorded, and in a replay a query reached the database. tracetape's
 *   wrappers do not carry the mark another `_wrap()` looks for, so the app's wraps over them;
 *   tracetape's own `_wrap()` still replaces its own earlier wrapper.
 * - An SDK preloaded before the hook (`appPatchesFirst`): at each hook the app's instrumentation
 *   patches first, tracetape's over it, and tracetape's removed the app's. tracetape's now leaves
 *   a wrapper not its own in place and wraps over it; its wrappers keep the usual mark, so that
 *   the app's, patching again at the next hook, removes tracetape's wrapper (restoring its own
 *   earlier one) and replaces that with its new one, and tracetape's, patching at the same hook,
 *   then wraps over the app's new one. An app that patches again without tracetape following
 *   (instrumentation versions that hook different files) would leave tracetape's out.
 */
export function keepWrappers(instrumentation: Instrumentation, appPatchesFirst = false): void {
  const wrapping = instrumentation as unknown as Wrapping;
  const { _wrap: wrap, _unwrap: unwrap } = wrapping;
  if (appPatchesFirst) {
    wrapping._unwrap = (exports, name) => (markedWrapper(exports[name]) && !ownWrappers.has(exports[name] as object) ? undefined : unwrap(exports, name));
  }
  wrapping._wrap = (exports, name, wrapper) => {
    if (ownWrappers.has(exports[name] as object)) unwrap(exports, name);
    // Another instrumentation's wrapper, when the app's patched first: it stays, under tracetape's.
    const foreign = appPatchesFirst ? markedWrapper(exports[name]) : undefined;
    if (foreign) setMark(foreign, false);
    let wrapped: unknown;
    try {
      wrapped = wrap(exports, name, wrapper);
    } finally {
      if (foreign) setMark(foreign, true);
    }
    if (typeof wrapped === 'function') {
      ownWrappers.add(wrapped);
      // `isWrapped()` asks `__wrapped === true`; unwrapping by `__unwrap()` still works.
      if (!appPatchesFirst) setMark(wrapped, false);
    }
    return wrapped;
  };
}

/** A wrapper put in place by an instrumentation (tracetape's included when the app patched first), as `isWrapped()` tells one. */
function markedWrapper(value: unknown): object | undefined {
  const candidate = value as { __wrapped?: unknown; __unwrap?: unknown } | undefined;
  return typeof value === 'function' && candidate!.__wrapped === true && typeof candidate!.__unwrap === 'function' ? value : undefined;
}

function setMark(wrapper: object, wrapped: boolean): void {
  Object.defineProperty(wrapper, '__wrapped', { value: wrapped, configurable: true, writable: true, enumerable: false });
}
