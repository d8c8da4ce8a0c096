import type { SideEffectPattern } from '../../contract/contract.js';
import { ClaimsConfigError } from '../../errors.js';
import { closestName, describeJsonValue, JsonShapeChecker, wordList, type JsonObject } from '../../json-shape.js';
import { BOUNDARY_KINDS } from '../../tape.js';

/*
 * Which claims a run's final answer may make, and which calls back each one: the mapping the
 * "claims without actions" check reads (check-claims.ts). The file, `tracetape.claims.json` by
 * default, is written by hand:
 *
 *   {
 *     "format": "tracetape.claims", "version": 1,
 *     "claims": [
 *       {
 *         "name": "refund",                                // how findings name the claim
 *         "phrases": ["submitted your refund", "I've refunded", "refunded"],
 *         "expect": [                                      // any one of these backs the claim
 *           { "method": "POST", "url": "*\/refunds" },
 *           { "tool": "issue_refund" },
 *           { "door": "postgres", "method": "INSERT", "table": "refunds" }
 *         ]
 *       }
 *     ]
 *   }
 *
 * Phrases match the answer case-insensitively, as whole words, with any run of whitespace equal
 * to any other and straight and curly apostrophes equal. A phrase a few words after a negation in
 * the same clause (not, never, cannot, unable to, failed to, any …n't) is not read as a claim: its
 * finding says it was skipped as negated.
 *
 * An expectation is met by a call when every field it gives matches, as a contract's side-effect
 * pattern does (`door`; `method`, case-insensitive; `url`, a glob where `*` matches any run of
 * characters; `table`, the table a statement writes), plus `tool`: an MCP `tools/call` of that
 * tool. Unknown keys are refused, not ignored: a misspelt `tool` beside a `method` would let any
 * call of that method back the claim.
 */

export const CLAIMS_FORMAT = 'tracetape.claims';
export const CLAIMS_VERSION = 1;
/** The claims file tracetape looks for when none is named. */
export const DEFAULT_CLAIMS_FILE = 'tracetape.claims.json';

export interface ClaimsConfig {
  format: typeof CLAIMS_FORMAT;
  version: typeof CLAIMS_VERSION;
  claims: ClaimRule[];
}

/** One kind of claim: the phrases that make it, and the calls of which any one backs it. */
export interface ClaimRule {
  name: string;
  phrases: string[];
  expect: ClaimExpectation[];
}

/** A call that backs a claim; every field given must match, absent fields match anything. */
export interface ClaimExpectation extends SideEffectPattern {
  /** The name of an MCP tool called with `tools/call`. */
  tool?: string;
}

const TOP_KEYS = ['format', 'version', 'claims'];
const CLAIM_KEYS = ['name', 'phrases', 'expect'];
const EXPECT_KEYS = ['door', 'method', 'url', 'table', 'tool'];
const TABLE_DOORS: readonly string[] = ['postgres', 'mysql'];
/** The doors whose calls are addressed by http(s) URLs, where a glob can be told to be one that never matches. */
const URL_DOORS: readonly string[] = ['http'];
const HTTP_METHOD = /^(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/i;

class Checker extends JsonShapeChecker {
  constructor(private readonly where: string) {
    super();
  }

  fail(path: string, problem: string): never {
    throw new ClaimsConfigError(this.where, path, problem);
  }

  object(value: unknown, path: string, keys: readonly string[]): JsonObject {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, `must be an object, not ${describeJsonValue(value)}`);
    for (const key of Object.keys(value)) {
      if (keys.includes(key)) continue;
      const near = closestName(key, keys);
      this.fail(
        path ? `${path}.${key}` : key,
        `is not a claims field${near ? ` (did you mean "${near}"?)` : ''}: the fields ${path ? `of ${path} ` : 'at the top '}are ${wordList(keys, 'and')}`,
      );
    }
    return value as JsonObject;
  }

  nonEmpty(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(path, `must be a non-empty string, not ${describeJsonValue(value)}`);
    return value;
  }

  nonEmptyArray(value: unknown, path: string, what: string): unknown[] {
    const items = this.array(value, path);
    if (items.length === 0) this.fail(path, `is empty: list at least one ${what}`);
    return items;
  }
}

/**
 * Parses and checks a claims file.
 * @param file the file as the user named it, for messages
 * @throws ClaimsConfigError naming the file and the JSON path of the first thing wrong
 */
export function parseClaimsConfig(text: string, file: string): ClaimsConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClaimsConfigError(file, '', `is not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ClaimsConfigError(file, '', `must hold a JSON object (a tracetape claims file), not ${describeJsonValue(value)}`);
  }
  // Typed out so that TypeScript narrows after its never-returning fail().
  const c: Checker = new Checker(file);
  const top = value as JsonObject;
  // Format and version first: a file of another kind gets that said, not a complaint about its fields.
  if (top.format !== CLAIMS_FORMAT) c.fail('format', `must be "${CLAIMS_FORMAT}", not ${describeJsonValue(top.format)}: is this a claims file?`);
  if (top.version !== CLAIMS_VERSION) {
    if (typeof top.version === 'number' && top.version > CLAIMS_VERSION) {
      c.fail('version', `${top.version} is not supported (this tracetape reads version ${CLAIMS_VERSION}): a newer tracetape wrote it, upgrade tracetape`);
    }
    c.fail('version', `must be ${CLAIMS_VERSION}, not ${describeJsonValue(top.version)}`);
  }
  c.object(top, '', TOP_KEYS);
  const names = new Map<string, number>();
  const claims = c.nonEmptyArray(top.claims, 'claims', 'claim ({ "name", "phrases", "expect" })').map((item, i) => {
    const claim = checkClaim(c, item, `claims[${i}]`);
    const earlier = names.get(claim.name);
    // Findings are told apart by the claim's name.
    if (earlier !== undefined) c.fail(`claims[${i}].name`, `"${claim.name}" is already the name of claims[${earlier}]: give each claim its own name`);
    names.set(claim.name, i);
    return claim;
  });
  return { format: CLAIMS_FORMAT, version: CLAIMS_VERSION, claims };
}

function checkClaim(c: Checker, value: unknown, path: string): ClaimRule {
  const claim = c.object(value, path, CLAIM_KEYS);
  const name = c.nonEmpty(claim.name, `${path}.name`);
  const phrases = c.nonEmptyArray(claim.phrases, `${path}.phrases`, 'phrase the answer would say, such as "submitted your refund"').map((phrase, i) => {
    const text = c.nonEmpty(phrase, `${path}.phrases[${i}]`);
    // Phrases match as whole words: one without a letter or digit has no word to match.
    if (!/[\p{L}\p{N}]/u.test(text)) c.fail(`${path}.phrases[${i}]`, `${JSON.stringify(text)} has no letter or digit: a phrase must hold words`);
    return text;
  });
  const expect = c
    .nonEmptyArray(claim.expect, `${path}.expect`, 'call that backs the claim, such as { "method": "POST", "url": "*/refunds" }')
    .map((item, i) => checkExpectation(c, item, `${path}.expect[${i}]`));
  return { name, phrases, expect };
}

function checkExpectation(c: Checker, value: unknown, path: string): ClaimExpectation {
  const item = c.object(value, path, EXPECT_KEYS);
  if (Object.keys(item).length === 0) c.fail(path, `is empty, so any call would back the claim: give at least one of ${wordList(EXPECT_KEYS, 'or')}`);
  const out: ClaimExpectation = {};
  if (item.door !== undefined) {
    if (typeof item.door !== 'string' || !(BOUNDARY_KINDS as readonly string[]).includes(item.door)) {
      c.fail(`${path}.door`, `must be one of ${wordList(BOUNDARY_KINDS.map((door) => `"${door}"`))}, not ${describeJsonValue(item.door)}`);
    }
    out.door = item.door as ClaimExpectation['door'];
  }
  if (item.method !== undefined) out.method = c.nonEmpty(item.method, `${path}.method`);
  if (item.url !== undefined) out.url = checkUrlGlob(c, item.url, `${path}.url`, out.door);
  if (item.table !== undefined) {
    out.table = c.nonEmpty(item.table, `${path}.table`);
    if (out.door !== undefined && !TABLE_DOORS.includes(out.door)) {
      c.fail(`${path}.table`, `names a database table, but door is "${out.door}": a table is written through ${wordList(TABLE_DOORS.map((door) => `"${door}"`))}, or leave door out`);
    }
  }
  if (item.tool !== undefined) {
    out.tool = c.nonEmpty(item.tool, `${path}.tool`);
    if (out.door !== undefined && out.door !== 'mcp') c.fail(`${path}.tool`, `names an MCP tool, but door is "${out.door}": set door to "mcp" or leave it out`);
  }
  return out;
}

/**
 * A URL glob, refused when it could never match a call of an HTTP door: one holding whitespace
 * (`POST *\/refunds`, method and URL in one), or one that is neither a whole URL (`https://…`) nor a
 * path (`/refunds`) nor starts with `*`, since the glob is matched against the whole URL or its path.
 */
function checkUrlGlob(c: Checker, value: unknown, path: string, door: string | undefined): string {
  const glob = c.nonEmpty(value, path);
  // Other doors address calls otherwise (an MCP server's command line holds spaces): any text may match.
  if (door !== undefined && !URL_DOORS.includes(door)) return glob;
  if (/\s/.test(glob)) {
    const words = glob.trim().split(/\s+/);
    const advice = HTTP_METHOD.test(words[0]!) ? `: put the method in "method" ("${words[0]!.toUpperCase()}") and the glob alone in "url"` : ': a URL holds no whitespace';
    c.fail(path, `${JSON.stringify(glob)} is not a URL glob${advice}`);
  }
  if (!glob.startsWith('/') && !glob.startsWith('*') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(glob)) {
    c.fail(path, `${JSON.stringify(glob)} would never match: a URL glob is a whole URL ("https://shop.example/*"), a path ("/refunds") or starts with * ("*/refunds")`);
  }
  return glob;
}
