import childProcess, { type ChildProcess } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { promisify } from 'node:util';
import { boundaryEnvironment } from './boundary-environment.js';
import { ASYNC_STARTERS, readStart, startArguments, SYNC_STARTERS, type AsyncStarter, type ChildStart, type Starter, type SyncStarter } from './child-start.js';
import { promisifiedExec } from './exec-semantics.js';
import { takeChildStartClaim } from './claimed-starts.js';
import { isRunProcess } from './node-children.js';

type AnyFunction = (...args: unknown[]) => unknown;
type Custom = { [promisify.custom]?: AnyFunction };

/**
 * node:child_process's starters as Node made them, taken when this module loads: before the
 * register hook patches anything (the process propagation, this door).
 */
const exported = childProcess as unknown as Record<Starter, AnyFunction & Custom>;
const NODE_STARTERS: Readonly<Record<Starter, AnyFunction>> = Object.fromEntries(
  [...ASYNC_STARTERS, ...SYNC_STARTERS].map((name) => [name, exported[name]]),
) as Record<Starter, AnyFunction>;

/** Ways to run a start as the app asked. */
export interface StartRunners<T> {
  /**
   * Node's own starter, below every patch (with `args` in place of the app's, when given). A boundary call runs there: it is no process of the run,
   * so it takes no process path and no run variables, and the process paths of the run's Node
   * children come out the same whether the boundary calls before them ran (capture) or not (playback).
   */
  node(args?: readonly unknown[]): T;
  /** The patch below this one (another door under --then-live, the process propagation), as if this door were not there. */
  next(): T;
}

/** A door's answer to the starts that are boundary calls; every other start goes on untouched. */
export interface ChildProcessDoor {
  async(start: ChildStart & { api: AsyncStarter }, run: StartRunners<ChildProcess>): ChildProcess;
  sync(start: ChildStart & { api: SyncStarter }, run: StartRunners<unknown>): unknown;
  /** Called when the door is taken out. */
  dispose?(): void;
}

/** Node's own spawnSync, for a door that runs a sync start itself. */
export const nodeSpawnSync = NODE_STARTERS.spawnSync as typeof childProcess.spawnSync;

/**
 * Puts `door` in front of spawn, execFile, exec and their sync forms. Install it after the process
 * propagation: the door decides first, and a start that is one of the run's own processes (Node
 * with the hook, tracetape's scripts) falls through to the propagation as if the door were not
 * there. Returns the undo.
 */
export function installChildProcessDoor(door: ChildProcessDoor): () => void {
  const below = new Map<Starter, AnyFunction & Custom>();
  // exec() starts its child through the exported execFile(): that inner call belongs to the start
  // being made, and goes where the outer one went (Node's own, or the patch below), not through the door again.
  let inside: 'node' | 'next' | undefined;
  const within = <T>(where: 'node' | 'next', run: () => T): T => {
    const outer = inside;
    inside = where;
    try {
      return run();
    } finally {
      inside = outer;
    }
  };
  for (const name of [...ASYNC_STARTERS, ...SYNC_STARTERS]) {
    const next = exported[name];
    below.set(name, next);
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      if (inside) return (inside === 'node' ? NODE_STARTERS[name] : next).apply(this, args);
      const run: StartRunners<unknown> = {
        node: (replaced) => within('node', () => NODE_STARTERS[name].apply(this, replaced ? [...replaced] : args)),
        next: () => within('next', () => next.apply(this, args)),
      };
      const start = readStart(name, args);
      // A start another door claimed (the MCP door's stdio server) is that door's call: Node's own,
      // and like any boundary child it takes no place in the run (boundary-environment.ts).
      if (takeChildStartClaim()) {
        const env = start && boundaryEnvironment(start.options.env);
        return run.node(start && env ? startArguments(start, { ...start.options, env }) : undefined);
      }
      if (!start || isRunProcess(start)) return run.next();
      return isAsync(start) ? door.async(start, run as StartRunners<ChildProcess>) : door.sync(start as ChildStart & { api: SyncStarter }, run);
    } as AnyFunction & Custom;
    // util.promisify(exec) would use Node's own promisified form, which starts the child unpatched.
    if (next[promisify.custom]) Object.defineProperty(wrapper, promisify.custom, { value: promisifiedExec(wrapper), configurable: true });
    Object.defineProperty(wrapper, 'name', { value: next.name });
    exported[name] = wrapper;
  }
  syncBuiltinESMExports();
  return () => {
    for (const [name, next] of below) exported[name] = next;
    syncBuiltinESMExports();
    door.dispose?.();
  };
}

function isAsync(start: ChildStart): start is ChildStart & { api: AsyncStarter } {
  return (ASYNC_STARTERS as readonly string[]).includes(start.api);
}
