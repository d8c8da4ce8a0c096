import { ProxyTracerProvider } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { apiGlobal } from './api-globals.js';
import type { HookPropagator } from './hook-propagator.js';

type Register = (this: unknown, registered: unknown) => boolean;
interface ApiModule {
  trace?: { setGlobalTracerProvider?: Register };
  propagation?: { setGlobalPropagator?: Register };
}

/** Who takes an app's tracer provider that the hook's keeps from becoming the global one. */
export interface AppProviderTaker {
  adopt(provider: unknown): boolean;
}

/** What the app's registrations go to: each left out is left to the API. */
export interface AppApiTakers {
  /** Recording: the app's SDK still gets its spans; replay: it is adopted and gets none. */
  providers?: AppProviderTaker;
  /** Recording and replay: the app's propagator joins the hook's. */
  propagator?: HookPropagator;
}

/**
 * Hands what an app's SDK registers with the OpenTelemetry API to tracetape: its tracer provider
 * and its propagator. The hook's are registered first and stay the global ones (they record); the
 * API then refuses the app's, which it reports only to a diagnostic logger, and the app's exporter
 * would get nothing and its propagator would not be used. The app's copy of `@opentelemetry/api`
 * is wrapped as it loads: what tracetape can take is taken instead of refused, so the refusal is
 * not reported; anything else goes on to the API as before.
 */
export class AppApiInstrumentation extends InstrumentationBase {
  constructor(private readonly takers: AppApiTakers) {
    super('@tracetape/register/app-sdk', '0.1.0', {});
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      '@opentelemetry/api',
      ['>=1.0.0 <2'],
      (exports: ApiModule) => {
        this.wrapLoaded(exports);
        return exports;
      },
      (exports: ApiModule) => {
        if (exports?.trace) this._unwrap(exports.trace, 'setGlobalTracerProvider');
        if (exports?.propagation) this._unwrap(exports.propagation, 'setGlobalPropagator');
      },
    );
  }

  /**
   * Wraps a copy of the API: the app's as it loads, and the hook's own, loaded before the loader
   * hook, which an app shares when it resolves `@opentelemetry/api` to the same file (the hook run
   * from source, not its bundle).
   */
  wrapLoaded(loaded: object): void {
    const api = loaded as ApiModule;
    const { providers, propagator } = this.takers;
    if (providers && typeof api?.trace?.setGlobalTracerProvider === 'function') {
      // Not registered (the hook's provider stays global), as the API would answer.
      this.wrapRegistration(api.trace, 'setGlobalTracerProvider', (provider) => apiGlobal('trace') instanceof ProxyTracerProvider && providers.adopt(provider));
    }
    if (propagator && typeof api?.propagation?.setGlobalPropagator === 'function') {
      // Not registered (the hook's stays global, now carrying the app's), as the API would answer.
      this.wrapRegistration(api.propagation, 'setGlobalPropagator', (registered) => apiGlobal('propagation') === propagator && propagator.adopt(registered));
    }
  }

  private wrapRegistration(api: object, name: string, taken: (registered: unknown) => boolean): void {
    this._wrap(api as Record<string, Register>, name, (original: Register) =>
      function register(this: unknown, registered: unknown): boolean {
        if (taken(registered)) return false;
        return original.call(this, registered);
      },
    );
  }
}
