import { isBuiltin } from 'node:module';
import type { Instrumentation } from '@opentelemetry/instrumentation';

/** What InstrumentationBase keeps of each module it instruments, and how it patches one as it is required. */
interface ModuleDefinition {
  name: string;
  moduleExports?: unknown;
}
interface RequireHooks {
  _modules?: ModuleDefinition[];
  _onRequire?: (module: ModuleDefinition, exports: unknown, name: string, baseDir?: string) => unknown;
}

/**
 * Patches the Node built-in modules an instrumentation covers, as if they were required now. An
 * SDK preloaded before the hook loaded some already (its OTLP exporter loads http and https), and
 * when the app's instrumentations and tracetape's share one copy of OpenTelemetry's require hook,
 * it hands each module to the instrumentations once, as it first loads: tracetape's, registered
 * later, never got http, so its server spans (which carry the inbound exchange) were not made.
 */
export function patchLoadedBuiltins(instrumentation: Instrumentation): void {
  const hooks = instrumentation as unknown as RequireHooks;
  if (typeof hooks._onRequire !== 'function') return;
  for (const module of hooks._modules ?? []) {
    if (module.moduleExports !== undefined || !isBuiltin(module.name)) continue;
    const exports = process.getBuiltinModule(module.name);
    if (exports) hooks._onRequire.call(instrumentation, module, exports, module.name, undefined);
  }
}
