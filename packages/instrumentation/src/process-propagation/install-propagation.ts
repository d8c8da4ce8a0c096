import { syncBuiltinESMExports } from 'node:module';
import { context } from '@opentelemetry/api';
import { childEnvironment } from './child-environment.js';
import { patchChildProcess } from './patch-child-process.js';
import { patchWorkerThreads } from './patch-worker-threads.js';
import { ProcessPaths } from './process-paths.js';
import { PROCESS_PATH_VARIABLE, type RunVariables } from './run-variables.js';
import { injectTraceVariables } from './trace-carrier.js';

export interface ProcessPropagationOptions {
  /** URL of the register hook, for the `--import` a child or worker must load. */
  hookUrl: string;
  /** This process's own path in the run. */
  processPath: string;
}

/**
 * Makes every child process and worker this process starts part of its run: each loads the hook,
 * continues the trace of the span active when it was started (the process run outside any other)
 * and gets the next process path. ESM named imports of both modules see the wrappers too.
 * Returns the undo (for tests).
 */
export function installProcessPropagation({ hookUrl, processPath }: ProcessPropagationOptions): () => void {
  const paths = new ProcessPaths(processPath);
  const runVariables = (path: string): RunVariables => ({ ...injectTraceVariables(context.active()), [PROCESS_PATH_VARIABLE]: path });
  const undoChildren = patchChildProcess((given) => childEnvironment(given, runVariables(paths.nextChild()), hookUrl));
  const undoWorkers = patchWorkerThreads({
    hookUrl,
    nextWorker: () => runVariables(paths.nextWorker()),
    // The run's variables go through the environment data, not this copy of the app's env.
    environmentFor: (given) => childEnvironment(given, undefined, hookUrl),
  });
  syncBuiltinESMExports();
  return () => {
    undoChildren();
    undoWorkers();
    syncBuiltinESMExports();
  };
}
