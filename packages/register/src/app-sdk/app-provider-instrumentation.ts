import { ProxyTracerProvider } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

type SetGlobalTracerProvider = (this: unknown, provider: unknown) => boolean;
interface TraceApi {
  setGlobalTracerProvider: SetGlobalTracerProvider;
}
interface ApiModule {
  trace?: TraceApi;
}

/** Who takes an app's tracer provider that the hook's keeps from becoming the global one. */
export interface AppProviderTaker {
  adopt(provider: unknown): boolean;
}

/** Where every copy of the OpenTelemetry API 1.x keeps its globals: the one place they meet. */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/**
 * Hands an app's SDK tracer provider to tracetape as the app registers it. The hook's provider is
 * registered first and stays the global one (it records); the API then refuses the app's, which
 * it reports only to a diagnostic logger, and the app's exporter would get nothing. The app's copy
 * of `@opentelemetry/api` is wrapped as it loads: a provider tracetape can feed is taken instead of
 * refused, so the refusal is not reported; any other goes on to the API as before.
 */
export class AppTracerProviderInstrumentation extends InstrumentationBase {
  constructor(private readonly taker: AppProviderTaker) {
    super('@tracetape/register/app-sdk', '0.1.0', {});
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      '@opentelemetry/api',
      ['>=1.0.0 <2'],
      (exports: ApiModule) => {
        if (typeof exports?.trace?.setGlobalTracerProvider === 'function') this.wrapRegistration(exports.trace);
        return exports;
      },
      (exports: ApiModule) => {
        if (exports?.trace) this._unwrap(exports.trace, 'setGlobalTracerProvider');
      },
    );
  }

  /**
   * Wraps a copy of the API loaded before the loader hook: the hook's own, which an app shares when
   * it resolves `@opentelemetry/api` to the same file (the hook run from source, not its bundle).
   */
  wrapLoaded(api: object): void {
    if (typeof (api as Partial<TraceApi>).setGlobalTracerProvider === 'function') this.wrapRegistration(api as TraceApi);
  }

  private wrapRegistration(api: TraceApi): void {
    const taker = this.taker;
    this._wrap(api, 'setGlobalTracerProvider', (original: SetGlobalTracerProvider) =>
      function setGlobalTracerProvider(this: unknown, provider: unknown): boolean {
        // Not registered (the hook's provider stays global), as the API would answer.
        if (hookHoldsGlobalProvider() && taker.adopt(provider)) return false;
        return original.call(this, provider);
      },
    );
  }
}

/** Whether the global tracer provider is the hook's: one the hook's own copy of the API registered. */
function hookHoldsGlobalProvider(): boolean {
  const globals = (globalThis as { [API_GLOBALS]?: { trace?: unknown } })[API_GLOBALS];
  return globals?.trace instanceof ProxyTracerProvider;
}
