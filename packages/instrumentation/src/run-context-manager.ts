import { ROOT_CONTEXT, createContextKey, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/** Marks a context that code entered on purpose as a root (an inbound request with no traceparent). */
const EXPLICIT_ROOT = ROOT_CONTEXT.setValue(createContextKey('tracetape.explicit-root'), true);

/**
 * A context manager whose idea of "no context" is the current process run: a script's calls made
 * outside any span land in the run's trace instead of each starting a trace of its own. Code that
 * asks for the root context on purpose (the HTTP server instrumentation for an inbound request)
 * still gets a fresh root, so each request keeps its own trace.
 */
export class RunContextManager extends AsyncLocalStorageContextManager {
  private runContext: Context = ROOT_CONTEXT;

  setRunContext(context: Context): void {
    this.runContext = context;
  }

  override active(): Context {
    const active = super.active();
    return active === ROOT_CONTEXT ? this.runContext : active;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return super.with(context === ROOT_CONTEXT ? EXPLICIT_ROOT : context, fn, thisArg, ...args);
  }
}
