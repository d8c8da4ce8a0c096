import childProcess from 'node:child_process';
import { promisify } from 'node:util';
import { startsOwnScript } from './own-scripts.js';

/** Builds the environment of one child from the one the app passed (undefined: it passed none). */
export type ChildEnvironmentFor = (given: NodeJS.ProcessEnv | undefined) => NodeJS.ProcessEnv;

/** The starters that take an argument list before their options; exec and execSync take a command line. */
const WITH_ARGUMENT_LIST = ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork'] as const;
const WITH_COMMAND_LINE = ['exec', 'execSync'] as const;
type Starter = (typeof WITH_ARGUMENT_LIST)[number] | (typeof WITH_COMMAND_LINE)[number];

type AnyFunction = (...args: unknown[]) => unknown;
type Custom = { [promisify.custom]?: AnyFunction };

/**
 * Wraps every way node:child_process starts a process so that each start gets its environment from
 * `environmentFor`, tracetape's own workers aside. Returns the undo.
 */
export function patchChildProcess(environmentFor: ChildEnvironmentFor): () => void {
  const exports = childProcess as unknown as Record<Starter, AnyFunction & Custom>;
  // exec() starts its child through the exported execFile(): the environment it already got from
  // the exec() wrapper must not be made again (a second process path would be counted).
  const made = new WeakSet<NodeJS.ProcessEnv>();
  const environmentOnce: ChildEnvironmentFor = (given) => {
    if (given && made.has(given)) return given;
    const env = environmentFor(given);
    made.add(env);
    return env;
  };
  const originals = new Map<Starter, AnyFunction & Custom>();
  for (const name of [...WITH_ARGUMENT_LIST, ...WITH_COMMAND_LINE]) {
    const original = exports[name];
    const optionsAt = (args: unknown[]): number => ((WITH_ARGUMENT_LIST as readonly string[]).includes(name) && (Array.isArray(args[1]) || args[1] == null) ? 2 : 1);
    const prepare = (args: unknown[]): unknown[] => (startsOwnScript([args[0], ...(Array.isArray(args[1]) ? args[1] : [])]) ? args : withEnvironment(args, optionsAt(args), environmentOnce));
    const wrapper = function (this: unknown, ...args: unknown[]) {
      return original.apply(this, prepare(args));
    } as AnyFunction & Custom;
    // util.promisify(exec) uses Node's own promisified form, which would start the child unwrapped.
    const custom = original[promisify.custom];
    if (custom) {
      Object.defineProperty(wrapper, promisify.custom, { value: (...args: unknown[]) => custom(...prepare(args)), configurable: true });
    }
    Object.defineProperty(wrapper, 'name', { value: original.name });
    originals.set(name, original);
    exports[name] = wrapper;
  }
  return () => {
    for (const [name, original] of originals) exports[name] = original;
  };
}

/**
 * The arguments with the options object at `optionsAt` replaced by a copy that has the run's
 * environment: an options object the app passed is never changed, one it left out is added
 * (before a callback, padding a left-out argument list).
 */
function withEnvironment(args: unknown[], optionsAt: number, environmentFor: ChildEnvironmentFor): unknown[] {
  const out = [...args];
  const given = out[optionsAt];
  if (isOptions(given)) {
    out[optionsAt] = { ...given, env: environmentFor(given.env as NodeJS.ProcessEnv | undefined) };
    return out;
  }
  const options = { env: environmentFor(undefined) };
  if (given == null && optionsAt < out.length) out[optionsAt] = options;
  else {
    while (out.length < optionsAt) out.push(undefined);
    out.splice(optionsAt, 0, options);
  }
  return out;
}

function isOptions(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
