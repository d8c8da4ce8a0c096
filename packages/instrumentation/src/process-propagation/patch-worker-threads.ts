import workerThreads, { type WorkerOptions } from 'node:worker_threads';
import { loadsHook } from './child-environment.js';
import { startsOwnScript } from './own-scripts.js';
import { WORKER_RUN_KEY, type RunVariables } from './run-variables.js';

export interface WorkerPropagation {
  hookUrl: string;
  /** The run's variables for the next worker; called once per Worker started from a file. */
  nextWorker(): RunVariables;
  /** The environment of a worker whose `env` option is an object, built from it. */
  environmentFor(given: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/**
 * Replaces worker_threads.Worker with a subclass that hands each worker the run through the
 * environment data (copied when a Worker is constructed, whatever its `env` option) and makes
 * sure the worker loads the hook; tracetape's own workers are left as they are. Workers started from code (`eval: true`) run no `--import`
 * at all in Node, so they run unrecorded and take no process path. Returns the undo.
 */
export function patchWorkerThreads(propagation: WorkerPropagation): () => void {
  const exported = workerThreads as { Worker: typeof workerThreads.Worker };
  const Original = exported.Worker;

  class Worker extends Original {
    constructor(filename: string | URL, options?: WorkerOptions) {
      if (options?.eval || startsOwnScript([filename])) {
        super(filename, options);
        return;
      }
      workerThreads.setEnvironmentData(WORKER_RUN_KEY, { ...propagation.nextWorker() });
      try {
        super(filename, workerOptions(options, propagation));
      } finally {
        // Only the Worker just constructed gets this run; anything else started later must not.
        workerThreads.setEnvironmentData(WORKER_RUN_KEY, undefined);
      }
    }
  }

  exported.Worker = Worker;
  return () => {
    exported.Worker = Original;
  };
}

/**
 * A worker loads `--import` modules from NODE_OPTIONS in its own `env` (measured on Node 24: an
 * `env` without it loads no hook) or from its execArgv (inherited from the process unless given).
 * Whichever the app replaced gets the hook back.
 */
function workerOptions(options: WorkerOptions | undefined, propagation: WorkerPropagation): WorkerOptions | undefined {
  if (!options) return options;
  const out: WorkerOptions = { ...options };
  const ownEnv = typeof options.env === 'object' && options.env !== null;
  if (ownEnv) out.env = propagation.environmentFor(options.env as NodeJS.ProcessEnv);
  const nodeOptions = ownEnv ? (out.env as NodeJS.ProcessEnv).NODE_OPTIONS : process.env.NODE_OPTIONS;
  if (options.execArgv && !loadsHook(options.execArgv, propagation.hookUrl) && !loadsHook(nodeOptions ?? '', propagation.hookUrl)) {
    out.execArgv = [...options.execArgv, `--import=${propagation.hookUrl}`];
  }
  return out;
}
