export * from './contract.js';
export * from './parse-contract.js';
export * from './observed-side-effects.js';
export * from './check-contract.js';
export * from './derive-contract.js';
export { parseJsonCheckPath, valueAtPath, type JsonCheckStep, type ParsedJsonCheckPath } from './json-path.js';
