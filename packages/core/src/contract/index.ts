export * from './contract.js';
export * from './parse-contract.js';
export { parseJsonCheckPath, valueAtPath, type JsonCheckStep, type ParsedJsonCheckPath } from './json-path.js';
