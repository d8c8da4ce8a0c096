import { RUN_VARIABLES, type RunVariables } from './run-variables.js';

/** Configuration a child needs to record or replay as part of the run: the hook's and the SDK's. */
const CONFIGURATION = /^(TRACETAPE_|OTEL_)/;

/**
 * The environment of a child process: the one the app chose (or ours), with the register hook in
 * NODE_OPTIONS and the run's variables. An environment the app passed keeps every value it set; it
 * only gains the TRACETAPE_* and OTEL_* settings it left out, since without them a child would
 * record elsewhere, or in a replay reach the network.
 */
export function childEnvironment(given: NodeJS.ProcessEnv | undefined, run: RunVariables | undefined, hookUrl: string, own: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = given ? { ...inheritedConfiguration(own, given), ...given } : { ...own };
  env.NODE_OPTIONS = withHook(env.NODE_OPTIONS, hookUrl);
  if (run) {
    // What this process inherited from its own parent is not the child's: drop it, then hand over ours.
    for (const variable of RUN_VARIABLES) delete env[variable];
    Object.assign(env, run);
  }
  return env;
}

function inheritedConfiguration(own: NodeJS.ProcessEnv, given: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(own)) {
    if (CONFIGURATION.test(name) && !(name in given)) inherited[name] = value;
  }
  return inherited;
}

/** NODE_OPTIONS with `--import=<hook>` added, unless it loads the hook already. */
export function withHook(nodeOptions: string | undefined, hookUrl: string): string {
  const options = nodeOptions?.trim() ?? '';
  if (loadsHook(options, hookUrl)) return options;
  return [options, `--import=${hookUrl}`].filter(Boolean).join(' ');
}

/** Whether node options (a NODE_OPTIONS string, or execArgv entries) already import the hook. */
export function loadsHook(options: string | readonly string[], hookUrl: string): boolean {
  const text = typeof options === 'string' ? options : options.join(' ');
  return text.includes(hookUrl) || /@tracetape\/register(?![\w/-])/.test(text);
}
