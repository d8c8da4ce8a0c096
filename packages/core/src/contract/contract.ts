import type { BoundaryKind } from '../tape.js';

/*
 * A fixture's contract: what a run of the fixture must do, beside the tape that answers its calls.
 * Written by `tracetape fixture` as a skeleton derived from the recording, edited by the user,
 * checked by `tracetape check` and `replayTape(…, { contract })`. The file format:
 *
 *   {
 *     "format": "tracetape.contract", "version": 1,
 *     "fixture": "support-agent-3f0c9a1e",           // the fixture's ID
 *     "tape": "support-agent-3f0c9a1e.tape.json",     // beside the contract file
 *     "command": ["node", "examples/support-agent/agent.mjs"],
 *     "interval": "1d",                               // how often it must pass to count as fresh
 *     "expect": {
 *       "exitCode": 0,
 *       "outputs": [{ "from": "stdout", "contains": ["refund"], "matches": ["issued \\$\\d+"] },
 *                   { "from": "out/result.json", "json": [{ "path": "refund.status", "equals": "issued" },
 *                                                     { "path": "refund", "hasKeys": ["id", "amount_cents"] }] }],
 *       "sideEffects": {
 *         "allowed": [{ "door": "http", "method": "POST", "url": "*\/refunds", "max": 1 }],
 *         "forbidden": [{ "method": "DELETE" }, { "door": "postgres", "table": "orders" }],
 *         "others": "forbid"
 *       }
 *     }
 *   }
 */

export const CONTRACT_FORMAT = 'tracetape.contract';
export const CONTRACT_VERSION = 1;

export interface Contract {
  format: typeof CONTRACT_FORMAT;
  version: typeof CONTRACT_VERSION;
  /** The fixture's ID: how check results are stored and shown (`tracetape.fixture.id`). */
  fixture: string;
  /** The tape file, relative to the contract file. */
  tape: string;
  /** The command that runs the code under test, as after `--` of `tracetape replay`. */
  command: string[];
  /** Working directory of the command, relative to the contract file; absent: where `tracetape check` runs. */
  cwd?: string;
  /** Extra environment for the command. */
  env?: Record<string, string>;
  /** How often the fixture must pass to count as fresh (`30m`, `12h`, `1d`, `1w`); absent: `1d`. */
  interval?: string;
  /** Hosts (`host` or `host:port`) whose HTTP reads go to the network in live-read mode. */
  safeHosts?: string[];
  expect: ContractExpectations;
}

export interface ContractExpectations {
  /** The command's exit status; absent: not checked. */
  exitCode?: number;
  outputs?: OutputCheck[];
  sideEffects?: SideEffectRules;
}

/** Checks on what the run produced: its stdout, or a file it wrote. The shape, not the exact prose. */
export interface OutputCheck {
  /** `stdout`, or a file path relative to the command's working directory. */
  from: string;
  /** Substrings that must appear. */
  contains?: string[];
  /** Regular expressions (JavaScript syntax) that must match somewhere. */
  matches?: string[];
  /** The output parsed as JSON (the last JSON line of stdout, for `stdout`), then these checks. */
  json?: JsonCheck[];
}

export interface JsonCheck {
  /** Dot path with [n] for array items: `refund.items[0].sku`; empty or `$` for the whole value. */
  path: string;
  /** The value must be there (not undefined). Implied by the others. */
  exists?: boolean;
  /** Deep-equal to this JSON value. */
  equals?: unknown;
  /** A string value matching this regular expression. */
  matches?: string;
  /** An object having at least these keys. */
  hasKeys?: string[];
}

/** Which calls that change something the run may make, and how often. */
export interface SideEffectRules {
  /** Each rule allows the side effects it matches, at most `max` times (default 1). */
  allowed?: AllowedSideEffect[];
  /** Any side effect matching one of these fails the fixture. */
  forbidden?: SideEffectPattern[];
  /** Side effects no rule names: `forbid` (the default) or `allow`. */
  others?: 'allow' | 'forbid';
}

/** Matches a side effect; every field given must match, absent fields match anything. */
export interface SideEffectPattern {
  door?: BoundaryKind;
  /** `POST`, `DELETE`; for databases the statement kind (`INSERT`, `UPDATE`…); for Redis the command. */
  method?: string;
  /** URL glob: `*` matches any run of characters (`*\/refunds`, `https://api.stripe.com/*`). */
  url?: string;
  /** For database doors: the table written (`orders`). */
  table?: string;
}

export interface AllowedSideEffect extends SideEffectPattern {
  /** How many distinct effects this rule allows; retries with the same idempotency key count once. Default 1. */
  max?: number;
}

/** A side effect the code attempted during a check run, whether the tape answered it or not. */
export interface ObservedSideEffect {
  door: BoundaryKind;
  method: string;
  url: string;
  /** The table a database statement writes, when it could be read from the statement. */
  table?: string;
  /** The `Idempotency-Key` header the call carried now. */
  idempotencyKey?: string;
  /** The recorded step that answered it; absent when the tape held none. */
  step?: number;
  /** `served`: answered from the tape; `blocked`: not on the tape, refused; `live`: sent for real. */
  how: 'served' | 'blocked' | 'live';
}

/** What a check run did: the material a contract is checked against. */
export interface ObservedRun {
  exitCode: number;
  stdout: string;
  /** Reads a file the run wrote, relative to its working directory; undefined when there is none. */
  readFile(path: string): string | undefined;
  sideEffects: ObservedSideEffect[];
}

export type ClauseKind = 'exit-code' | 'output' | 'allowed-side-effect' | 'forbidden-side-effect' | 'unexpected-side-effect' | 'replay';

/** One clause of a contract, checked. */
export interface ClauseResult {
  kind: ClauseKind;
  /** The clause as a person reads it: `exit status 0`, `POST *\/refunds at most 1 time(s)`. */
  clause: string;
  passed: boolean;
  /** What was seen: `exited 1`, `2 distinct effects: steps 4, 6`. */
  detail: string;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';
