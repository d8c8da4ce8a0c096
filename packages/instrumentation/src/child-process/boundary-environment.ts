import { RUN_VARIABLES } from '../process-propagation/run-variables.js';

/**
 * The environment a boundary child runs with: the app's (or this process's), without the run
 * variables this process inherited from its own parent (its trace context and process path),
 * which name this process's place in the run, not the child's; undefined when there are none to
 * drop, so the start goes out exactly as the app made it. A boundary child takes no place in the
 * run: a Node it starts in turn through some script this door could not see into records a run
 * of its own, rather than claiming this process's path.
 */
export function boundaryEnvironment(given: NodeJS.ProcessEnv | null | undefined): NodeJS.ProcessEnv | undefined {
  const env = given ?? process.env;
  if (!RUN_VARIABLES.some((name) => env[name] !== undefined)) return undefined;
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of RUN_VARIABLES) delete out[name];
  return out;
}
