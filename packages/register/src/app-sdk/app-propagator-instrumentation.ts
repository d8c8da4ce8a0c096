import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { HookPropagator } from './hook-propagator.js';

type SetGlobalPropagator = (this: unknown, propagator: unknown) => boolean;
interface PropagationApi {
  setGlobalPropagator: SetGlobalPropagator;
}
interface ApiModule {
  propagation?: PropagationApi;
}

/** Where every copy of the OpenTelemetry API 1.x keeps its globals: the one place they meet. */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/**
 * Hands the propagator an app's SDK registers (`NodeSDK({ textMapPropagator })`, or the one it
 * builds from OTEL_PROPAGATORS) to the hook's, which the API would otherwise keep and refuse the
 * app's with only a diagnostic. In recording and replay alike: the app's code runs as it would
 * without tracetape. The app's copy of `@opentelemetry/api` is wrapped as it loads.
 */
export class AppPropagatorInstrumentation extends InstrumentationBase {
  constructor(private readonly hookPropagator: HookPropagator) {
    super('@tracetape/register/app-propagator', '0.1.0', {});
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      '@opentelemetry/api',
      ['>=1.0.0 <2'],
      (exports: ApiModule) => {
        if (typeof exports?.propagation?.setGlobalPropagator === 'function') this.wrapRegistration(exports.propagation);
        return exports;
      },
      (exports: ApiModule) => {
        if (exports?.propagation) this._unwrap(exports.propagation, 'setGlobalPropagator');
      },
    );
  }

  /** Wraps a copy of the API loaded before the loader hook: the hook's own, which an app may share. */
  wrapLoaded(propagation: object): void {
    if (typeof (propagation as Partial<PropagationApi>).setGlobalPropagator === 'function') this.wrapRegistration(propagation as PropagationApi);
  }

  private wrapRegistration(api: PropagationApi): void {
    const hookPropagator = this.hookPropagator;
    this._wrap(api, 'setGlobalPropagator', (original: SetGlobalPropagator) =>
      function setGlobalPropagator(this: unknown, propagator: unknown): boolean {
        // Not registered (the hook's stays global, now carrying the app's), as the API would answer.
        if (globalPropagator() === hookPropagator && hookPropagator.adopt(propagator)) return false;
        return original.call(this, propagator);
      },
    );
  }
}

function globalPropagator(): unknown {
  return (globalThis as { [API_GLOBALS]?: { propagation?: unknown } })[API_GLOBALS]?.propagation;
}
