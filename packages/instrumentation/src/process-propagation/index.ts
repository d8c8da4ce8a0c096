export { installProcessPropagation, type ProcessPropagationOptions } from './install-propagation.js';
export { inheritedRun, type InheritedRun } from './inherited-run.js';
export { childEnvironment, withHook } from './child-environment.js';
export { ProcessPaths } from './process-paths.js';
export { injectTraceVariables, extractTraceVariables } from './trace-carrier.js';
export * from './run-variables.js';
