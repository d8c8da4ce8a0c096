import { isMainThread, getEnvironmentData, threadId } from 'node:worker_threads';
import type { Context } from '@opentelemetry/api';
import { ConfigError, isProcessPath, ROOT_PROCESS_PATH } from '@tracetape/core';
import { PROCESS_PATH_VARIABLE, WORKER_RUN_KEY, type RunVariables } from './run-variables.js';
import { extractTraceVariables } from './trace-carrier.js';

/** Where this process (or worker) stands in the run that started it. */
export interface InheritedRun {
  /** `0` for a run's first process. */
  processPath: string;
  /** The span of the parent that started this process; undefined for a run's first process. */
  parentContext: Context | undefined;
}

/**
 * Reads what the parent handed down: a worker from its environment data (its process.env is its
 * parent's and names the parent's own place), a child process from its environment.
 * @throws ConfigError when TRACETAPE_PROCESS_PATH is set to something that is no process path
 */
export function inheritedRun(env: NodeJS.ProcessEnv = process.env): InheritedRun {
  const variables = isMainThread ? env : workerVariables(env);
  const processPath = variables[PROCESS_PATH_VARIABLE] || ROOT_PROCESS_PATH;
  if (!isProcessPath(processPath)) throw new ConfigError(`${PROCESS_PATH_VARIABLE} must be a process path such as 0, 0.1 or 0.w2 (tracetape sets it for the processes a run starts), not "${processPath}".`);
  return { processPath, parentContext: extractTraceVariables(variables) };
}

function workerVariables(env: NodeJS.ProcessEnv): Partial<Record<string, string>> {
  const handed = getEnvironmentData(WORKER_RUN_KEY) as RunVariables | undefined;
  if (handed) return { ...handed };
  // Started by a Worker class captured before the hook patched it: still not its parent's process.
  const parentPath = env[PROCESS_PATH_VARIABLE] || ROOT_PROCESS_PATH;
  return { [PROCESS_PATH_VARIABLE]: isProcessPath(parentPath) ? `${parentPath}.w${threadId}` : parentPath };
}
