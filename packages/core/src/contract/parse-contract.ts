import { closestName, describeJsonValue, JsonShapeChecker, wordList, type JsonObject } from '../json-shape.js';
import { ContractFormatError } from '../errors.js';
import { BOUNDARY_KINDS } from '../tape.js';
import { parseJsonCheckPath } from './json-path.js';
import {
  CONTRACT_FORMAT,
  CONTRACT_VERSION,
  type AllowedSideEffect,
  type Contract,
  type ContractExpectations,
  type JsonCheck,
  type OutputCheck,
  type SideEffectPattern,
  type SideEffectRules,
} from './contract.js';

/*
 * Reading a contract file. Contracts are written by hand (the derived skeleton is meant to be
 * edited), so every refusal names the file, the JSON path of the first thing wrong and what was
 * expected there, as tape-schema.ts does for tapes. Unknown keys are refused, not ignored: a
 * misspelt `forbiden` silently ignored would be a contract that forbids nothing.
 */

/** `30m`, `12h`, `1d`, `1w`, or whole seconds `90s`: a positive whole number and a unit. */
const INTERVAL = /^([1-9]\d*)([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
export const DEFAULT_INTERVAL = '1d';
/** `api.example.com`, `127.0.0.1:4020`, `[::1]:8080`: no scheme, no path. */
const SAFE_HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const TOP_KEYS = ['format', 'version', 'fixture', 'tape', 'command', 'cwd', 'env', 'interval', 'safeHosts', 'expect'];
const EXPECT_KEYS = ['exitCode', 'outputs', 'sideEffects'];
const OUTPUT_KEYS = ['from', 'contains', 'matches', 'json'];
const JSON_CHECK_KEYS = ['path', 'exists', 'equals', 'matches', 'hasKeys'];
const SIDE_EFFECT_KEYS = ['allowed', 'forbidden', 'others'];
const PATTERN_KEYS = ['door', 'method', 'url', 'table'];
const ALLOWED_KEYS = [...PATTERN_KEYS, 'max'];

class Checker extends JsonShapeChecker {
  constructor(private readonly where: string) {
    super();
  }

  fail(path: string, problem: string): never {
    throw new ContractFormatError(this.where, path, problem);
  }

  object(value: unknown, path: string, keys: readonly string[]): JsonObject {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, `must be an object, not ${describeJsonValue(value)}`);
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) {
        const near = closestName(key, keys);
        this.fail(
          join(path, key),
          `is not a contract field${near ? ` (did you mean "${near}"?)` : ''}: the fields ${path ? `of ${path} ` : 'at the top '}are ${wordList(keys, 'and')}`,
        );
      }
    }
    return value as JsonObject;
  }

  nonEmpty(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, `must be a non-empty string, not ${describeJsonValue(value)}`);
    return value;
  }

  strings(value: unknown, path: string): string[] {
    return this.array(value, path).map((item, i) => this.string(item, `${path}[${i}]`));
  }

  whole(value: unknown, path: string, min: number, max?: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || (max !== undefined && value > max)) {
      this.fail(path, `must be a whole number of at least ${min}${max !== undefined ? ` and at most ${max}` : ''}, not ${describeJsonValue(value)}`);
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !allowed.includes(value as T)) this.fail(path, `must be one of ${wordList(allowed.map((a) => `"${a}"`))}, not ${describeJsonValue(value)}`);
    return value as T;
  }

  regex(value: unknown, path: string): string {
    const source = this.string(value, path);
    try {
      new RegExp(source);
    } catch (error) {
      this.fail(path, `must be a valid regular expression (JavaScript syntax), but ${JSON.stringify(source)} is not: ${regexProblem(error)}`);
    }
    return source;
  }
}

/**
 * Parses and checks a contract file.
 * @param where the file as the user named it, for messages
 * @throws ContractFormatError naming the file and the JSON path of the first thing wrong
 */
export function parseContract(text: string, where: string): Contract {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ContractFormatError(where, '', `is not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ContractFormatError(where, '', `must hold a JSON object (a tracetape contract), not ${describeJsonValue(value)}`);
  }
  // Typed out so that TypeScript narrows after its never-returning fail().
  const c: Checker = new Checker(where);
  const top = value as JsonObject;
  // Format and version first: a file of another kind or a newer tracetape gets that said, not a
  // complaint about some field of it.
  if (top.format !== CONTRACT_FORMAT) c.fail('format', `must be "${CONTRACT_FORMAT}", not ${describeJsonValue(top.format)}: is this a contract file?`);
  if (top.version !== CONTRACT_VERSION) {
    if (typeof top.version === 'number' && top.version > CONTRACT_VERSION) {
      c.fail('version', `${top.version} is not supported (this tracetape reads version ${CONTRACT_VERSION}): a newer tracetape wrote it, upgrade tracetape`);
    }
    c.fail('version', `must be ${CONTRACT_VERSION}, not ${describeJsonValue(top.version)}`);
  }
  c.object(top, '', TOP_KEYS);
  const contract: Contract = {
    format: CONTRACT_FORMAT,
    version: CONTRACT_VERSION,
    fixture: c.nonEmpty(top.fixture, 'fixture'),
    tape: c.nonEmpty(top.tape, 'tape'),
    command: checkCommand(c, top.command),
    expect: checkExpect(c, top.expect),
  };
  if (top.cwd !== undefined) contract.cwd = c.nonEmpty(top.cwd, 'cwd');
  if (top.env !== undefined) {
    const env = top.env;
    if (env === null || typeof env !== 'object' || Array.isArray(env)) c.fail('env', `must be an object of names to string values, not ${describeJsonValue(env)}`);
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(env)) out[name] = c.string(v, `env[${JSON.stringify(name)}]`);
    contract.env = out;
  }
  if (top.interval !== undefined) {
    if (typeof top.interval !== 'string' || !INTERVAL.test(top.interval)) {
      c.fail('interval', `must be a duration such as "30m", "12h", "1d", "1w" or whole seconds "90s", not ${describeJsonValue(top.interval)}`);
    }
    contract.interval = top.interval;
  }
  if (top.safeHosts !== undefined) {
    contract.safeHosts = c.array(top.safeHosts, 'safeHosts').map((host, i) => {
      // Compared with a URL's host or hostname (http-playback.ts): a scheme or a path never matches.
      if (typeof host !== 'string' || !SAFE_HOST.test(host)) c.fail(`safeHosts[${i}]`, `must be a host or host:port such as "api.example.com" or "127.0.0.1:4020", not ${describeJsonValue(host)}`);
      return host;
    });
  }
  return contract;
}

function checkCommand(c: Checker, value: unknown): string[] {
  const command = c.strings(value, 'command');
  if (command.length === 0 || command[0] === '') c.fail('command', 'must name a program to run: ["node", "app.js"]');
  return command;
}

function checkExpect(c: Checker, value: unknown): ContractExpectations {
  const expect = c.object(value, 'expect', EXPECT_KEYS);
  const out: ContractExpectations = {};
  if (expect.exitCode !== undefined) out.exitCode = c.whole(expect.exitCode, 'expect.exitCode', 0, 255);
  if (expect.outputs !== undefined) {
    out.outputs = c.array(expect.outputs, 'expect.outputs').map((item, i) => checkOutput(c, item, `expect.outputs[${i}]`));
  }
  if (expect.sideEffects !== undefined) out.sideEffects = checkSideEffects(c, expect.sideEffects, 'expect.sideEffects');
  return out;
}

function checkOutput(c: Checker, value: unknown, path: string): OutputCheck {
  const output = c.object(value, path, OUTPUT_KEYS);
  const out: OutputCheck = { from: c.nonEmpty(output.from, `${path}.from`) };
  if (output.contains !== undefined) out.contains = c.strings(output.contains, `${path}.contains`);
  if (output.matches !== undefined) out.matches = c.array(output.matches, `${path}.matches`).map((m, i) => c.regex(m, `${path}.matches[${i}]`));
  if (output.json !== undefined) out.json = c.array(output.json, `${path}.json`).map((j, i) => checkJsonCheck(c, j, `${path}.json[${i}]`));
  return out;
}

function checkJsonCheck(c: Checker, value: unknown, path: string): JsonCheck {
  const check = c.object(value, path, JSON_CHECK_KEYS);
  const jsonPath = c.string(check.path, `${path}.path`);
  const problem = parseJsonCheckPath(jsonPath).problem;
  if (problem) c.fail(`${path}.path`, `must be a path such as "refund.items[0].sku" (or "$" for the whole value), but ${JSON.stringify(jsonPath)} ${problem}`);
  const out: JsonCheck = { path: jsonPath };
  if (check.exists !== undefined) out.exists = c.boolean(check.exists, `${path}.exists`);
  if ('equals' in check) out.equals = check.equals;
  if (check.matches !== undefined) out.matches = c.regex(check.matches, `${path}.matches`);
  if (check.hasKeys !== undefined) out.hasKeys = c.strings(check.hasKeys, `${path}.hasKeys`);
  if (out.exists === false && ('equals' in out || out.matches !== undefined || out.hasKeys !== undefined)) {
    c.fail(`${path}.exists`, 'is false (the value must be absent), so the check cannot also have equals, matches or hasKeys');
  }
  return out;
}

function checkSideEffects(c: Checker, value: unknown, path: string): SideEffectRules {
  const rules = c.object(value, path, SIDE_EFFECT_KEYS);
  const out: SideEffectRules = {};
  if (rules.allowed !== undefined) {
    out.allowed = c.array(rules.allowed, `${path}.allowed`).map((item, i) => {
      const itemPath = `${path}.allowed[${i}]`;
      const rule = c.object(item, itemPath, ALLOWED_KEYS);
      const allowed: AllowedSideEffect = checkPattern(c, rule, itemPath);
      if (rule.max !== undefined) allowed.max = c.whole(rule.max, `${itemPath}.max`, 0);
      return allowed;
    });
  }
  if (rules.forbidden !== undefined) {
    out.forbidden = c.array(rules.forbidden, `${path}.forbidden`).map((item, i) => {
      const itemPath = `${path}.forbidden[${i}]`;
      return checkPattern(c, c.object(item, itemPath, PATTERN_KEYS), itemPath);
    });
  }
  if (rules.others !== undefined) out.others = c.oneOf(rules.others, `${path}.others`, ['forbid', 'allow'] as const);
  return out;
}

function checkPattern(c: Checker, rule: JsonObject, path: string): SideEffectPattern {
  const out: SideEffectPattern = {};
  if (rule.door !== undefined) out.door = c.oneOf(rule.door, `${path}.door`, BOUNDARY_KINDS);
  if (rule.method !== undefined) out.method = c.nonEmpty(rule.method, `${path}.method`);
  if (rule.url !== undefined) out.url = c.nonEmpty(rule.url, `${path}.url`);
  if (rule.table !== undefined) out.table = c.nonEmpty(rule.table, `${path}.table`);
  return out;
}

/** How often the fixture must pass to count as fresh, in milliseconds: its `interval`, else one day. */
export function intervalMs(contract: Pick<Contract, 'interval'>): number {
  const match = INTERVAL.exec(contract.interval ?? DEFAULT_INTERVAL) ?? INTERVAL.exec(DEFAULT_INTERVAL)!;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * The contract as a file: JSON with its fields in a stable order (the order of the format's
 * documentation, env sorted by name), short leaf objects and arrays on one line, a final newline.
 * What parseContract reads back to an equal contract.
 */
export function serializeContract(contract: Contract): string {
  return render(ordered(contract), '') + '\n';
}

function ordered(contract: Contract): unknown {
  const pick = (object: object, keys: readonly string[]): JsonObject => {
    const out: JsonObject = {};
    for (const key of keys) {
      const v = (object as JsonObject)[key];
      if (v !== undefined) out[key] = v;
    }
    return out;
  };
  const top = pick(contract, TOP_KEYS);
  top.format = CONTRACT_FORMAT;
  top.version = CONTRACT_VERSION;
  if (contract.env) top.env = Object.fromEntries(Object.entries(contract.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const expect = pick(contract.expect, EXPECT_KEYS);
  if (contract.expect.outputs) {
    expect.outputs = contract.expect.outputs.map((o) => {
      const output = pick(o, OUTPUT_KEYS);
      if (o.json) output.json = o.json.map((j) => pick(j, JSON_CHECK_KEYS));
      return output;
    });
  }
  if (contract.expect.sideEffects) {
    const rules = contract.expect.sideEffects;
    const sideEffects = pick(rules, SIDE_EFFECT_KEYS);
    if (rules.allowed) sideEffects.allowed = rules.allowed.map((r) => pick(r, ALLOWED_KEYS));
    if (rules.forbidden) sideEffects.forbidden = rules.forbidden.map((r) => pick(r, PATTERN_KEYS));
    expect.sideEffects = sideEffects;
  }
  top.expect = expect;
  return top;
}

const WIDTH = 100;

function render(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inline = renderInline(value);
  if (inline !== undefined && indent.length + inline.length <= WIDTH) return inline;
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + render(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${render(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** One line for a container holding no containers (a pattern, a list of strings); undefined otherwise. */
function renderInline(value: object): string | undefined {
  const items = Array.isArray(value) ? value : Object.values(value);
  if (items.some((v) => v !== null && typeof v === 'object')) return undefined;
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map((v) => JSON.stringify(v) ?? 'null').join(', ')}]`;
  const entries = Object.entries(value);
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')} }`;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function regexProblem(error: unknown): string {
  // V8: "Invalid regular expression: /(/: Unterminated group": keep the part after the pattern.
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '').toLowerCase();
}
