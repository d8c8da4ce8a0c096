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
 * modules (`getNodeAutoInstrumentations()`, a `new HttpInstrumentation()`). OpenTelemetry's
 * `_wrap()` first removes any wrapper it finds on the function, to keep one instrumentation from
 * patching twice; but it cannot tell another instance's wrapper from its own, so the app's
 * instrumentation, patching after the hook's, removed tracetape's: inbound requests and
 * PostgreSQL queries went unrecorded, and in a replay a query reached the database. tracetape's
 * wrappers now do not carry the mark another `_wrap()` looks for: the app's wraps over them.
 * tracetape's own `_wrap()` still replaces its own earlier wrapper, as before. Must run before
 * the instrumentation patches anything (patches are made as the app loads the modules).
 */
export function keepWrappers(instrumentation: Instrumentation): void {
  const wrapping = instrumentation as unknown as Wrapping;
  const wrap = wrapping._wrap;
  wrapping._wrap = (exports, name, wrapper) => {
    if (ownWrappers.has(exports[name] as object)) wrapping._unwrap(exports, name);
    const wrapped = wrap(exports, name, wrapper);
    if (typeof wrapped === 'function') {
      ownWrappers.add(wrapped);
      // `isWrapped()` asks `__wrapped === true`; unwrapping by `__unwrap()` still works.
      Object.defineProperty(wrapped, '__wrapped', { value: false, configurable: true, writable: true, enumerable: false });
    }
    return wrapped;
  };
}
