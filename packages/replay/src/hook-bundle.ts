import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freshBundle } from './fresh-bundle.js';

/**
 * What `tracetape replay` preloads into the app: dist/hook/index.js beside the register hook's
 * dist/index.js while it is current (see freshBundle; as installed, always), else the modules.
 * What the bundle leaves out (@mswjs/interceptors, import-in-the-middle, require-in-the-middle)
 * @tracetape/register declares, with the ranges of the code that imports them.
 */
export function bundledHook(): string {
  const modules = import.meta.resolve('@tracetape/register');
  const bundle = freshBundle(new URL('./hook/index.js', modules));
  return bundle && sharesLoaderImportInTheMiddle(fileURLToPath(modules)) ? bundle.href : modules;
}

/**
 * Whether the bundle's import-in-the-middle (resolved from @tracetape/register's folder) is the
 * copy the loader thread's OpenTelemetry hook (@tracetape/register's
 * @opentelemetry/instrumentation/hook.mjs) hands modules to: its hooks live in the module, so two
 * copies leave every ESM hook unheard. An app with another major version of its own at the top of
 * node_modules makes npm nest one copy under each package: the modules then keep the hooks that
 * share the loader's copy, which the bundle would not.
 */
export function sharesLoaderImportInTheMiddle(registerEntry: string): boolean {
  try {
    const fromRegister = createRequire(registerEntry);
    const fromInstrumentation = createRequire(fromRegister.resolve('@opentelemetry/instrumentation'));
    return fromRegister.resolve('import-in-the-middle') === fromInstrumentation.resolve('import-in-the-middle');
  } catch {
    return false;
  }
}
