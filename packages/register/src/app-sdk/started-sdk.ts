import type { TracerProvider } from '@opentelemetry/api';
import { appTracerProvider, ownTracersOutOfReach } from './app-tracer-provider.js';
import { apiGlobal, dropGlobals, globalsVersion, hookApiVersion, type HookGlobal } from './api-globals.js';

/**
 * An OpenTelemetry SDK that started before the hook: the zero-code
 * `--require @opentelemetry/auto-instrumentations-node/register`, which Node runs before any
 * `--import`, so before the hook whatever the flags' order. It registered the API's global context
 * manager, tracer provider and propagator, and patched the modules its instrumentations cover.
 */
export interface StartedSdk {
  /** Its tracer provider (what the API's global one delegated to), if it registered one. */
  readonly provider: unknown;
  /** Its propagator, if it registered one. */
  readonly propagator: unknown;
  /**
   * Whether its instrumentations patch the modules before tracetape's: it registered a tracer
   * provider, as an SDK started with instrumentations does. One that set only the propagation or
   * the context manager leaves tracing to an SDK the app starts later, which patches after.
   */
  readonly patchesFirst: boolean;
  /**
   * Sends the spans of the tracers its instrumentations took from the API before the hook ran to
   * `provider`: they hold the API's proxy of that time, not whatever is global later.
   */
  redirect(provider: TracerProvider): void;
}

export type TakeOver = { taken: StartedSdk } | { refused: string };

/** What the API's global tracer provider is: a proxy handing out tracers of the provider it delegates to. */
interface ProxyProvider {
  getDelegate(): unknown;
  setDelegate(provider: TracerProvider): void;
}

const HOOK_GLOBALS: readonly HookGlobal[] = ['trace', 'context', 'propagation'];

/**
 * Takes the API's globals back from an SDK that started first, so the hook's can be registered:
 * its run context, its provider (whose processors record) and its propagator. Undefined when no
 * SDK registered anything. Must run before anything starts a span: a tracer that started one on
 * the SDK's provider keeps it.
 */
export function takeOverStartedSdk(): TakeOver | undefined {
  const registered = { trace: apiGlobal('trace'), context: apiGlobal('context'), propagation: apiGlobal('propagation') };
  if (registered.trace === undefined && registered.context === undefined && registered.propagation === undefined) return undefined;
  const proxy = registered.trace;
  if (proxy !== undefined && !isProxyProvider(proxy)) {
    return { refused: 'the global tracer provider it registered is not one the OpenTelemetry API made, so its tracers cannot be sent to the recording' };
  }
  const appVersion = globalsVersion() ?? '';
  const hookVersion = hookApiVersion() ?? '';
  if (!globalsAccept(appVersion, hookVersion)) {
    return { refused: `its @opentelemetry/api (${appVersion}) is newer than the hook's (${hookVersion}), which it would not accept as the global one` };
  }
  const provider = proxy?.getDelegate();
  // Another vendor's provider (not an OpenTelemetry SDK one) could not be fed its spans: its
  // exporter would go silent. It keeps the globals, and the run says why it is not recorded.
  if (proxy !== undefined && !appTracerProvider(provider)) {
    return { refused: 'the tracer provider it registered is not an OpenTelemetry SDK one, which tracetape could go on feeding' };
  }
  if (ownTracersOutOfReach(provider)) {
    return {
      refused:
        'its tracer provider (of OpenTelemetry JS 1.x) already handed its own tracers out, to instrumentations made after it was registered or given it with registerInstrumentations({ tracerProvider }), so their spans would not reach the recording',
    };
  }
  // Until the hook's provider is there, a tracer asking the proxy gets a no-op one for that span,
  // and asks again next time, instead of keeping the SDK's provider for good.
  proxy?.setDelegate(undefined as unknown as TracerProvider);
  // The SDK's context manager lets go of its async storage, as the API's own disable() has it do.
  (registered.context as { disable?: () => unknown } | undefined)?.disable?.();
  dropGlobals(HOOK_GLOBALS, hookVersion);
  return {
    taken: {
      provider,
      propagator: registered.propagation,
      patchesFirst: provider !== undefined,
      redirect: (provider) => proxy?.setDelegate(provider),
    },
  };
}

function isProxyProvider(value: unknown): value is ProxyProvider {
  const candidate = value as Partial<ProxyProvider> | null;
  return typeof candidate?.getDelegate === 'function' && typeof candidate.setDelegate === 'function';
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-(.+))?$/;

/**
 * Whether an API copy of `app`'s version reads globals made under `hook`'s, by the API's own rule:
 * the same major, a minor no newer than the globals', no pre-release unless the versions are equal.
 */
export function globalsAccept(app: string, hook: string): boolean {
  if (app === hook) return true;
  const [own, global] = [SEMVER.exec(app), SEMVER.exec(hook)];
  if (!own || !global || own[4] !== undefined || global[4] !== undefined) return false;
  if (own[1] !== global[1]) return false;
  if (Number(own[1]) === 0) return own[2] === global[2] && Number(own[3]) <= Number(global[3]);
  return Number(own[2]) <= Number(global[2]);
}
