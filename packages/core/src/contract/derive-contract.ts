import { idempotencyKeyOf } from '../findings/idempotency-key.js';
import { isIdSegment } from '../url-template.js';
import { isSideEffect } from '../matcher.js';
import type { BoundaryKind, Tape, TapeEntry } from '../tape.js';
import { distinctEffects } from './check-contract.js';
import { CONTRACT_FORMAT, CONTRACT_VERSION, type AllowedSideEffect, type Contract, type ObservedSideEffect } from './contract.js';
import { DEFAULT_INTERVAL } from './parse-contract.js';
import { tableOfEntry } from './observed-side-effects.js';

/*
 * The contract `tracetape fixture` writes beside a tape: a skeleton read off the recording, for
 * the user to edit. It allows what the recording did, as often as it did it, and forbids anything
 * else; it cannot know what output matters, so it checks none. For the double refund it allows
 * `POST *\/refunds` twice, which is exactly what the user edits down to once.
 */

export interface DeriveContractOptions {
  /** The fixture's ID. */
  fixture: string;
  /** The tape file, relative to the contract file. */
  tapeFile: string;
  /** The command that runs the code under test; absent: a `node app.js` placeholder to edit. */
  command?: string[];
  /** The exit status to expect; absent: 0. A recording kept because it went wrong may have exited
   * non-zero: the fixture expects the fixed run's clean exit, so this is not the recorded status. */
  exitCode?: number;
}

const PLACEHOLDER_COMMAND = ['node', 'app.js'];
const DATABASE_DOORS = new Set<BoundaryKind>(['postgres', 'mysql']);

export function deriveContract(tape: Tape, options: DeriveContractOptions): Contract {
  const rules = new Map<string, { rule: AllowedSideEffect; effects: ObservedSideEffect[] }>();
  const entries = [...tape.entries].sort((a, b) => a.step - b.step);
  for (const entry of entries) {
    // LLM calls are questions, not effects (see observed-side-effects.ts).
    if (entry.llm || !isSideEffect(entry)) continue;
    const rule = ruleFor(entry);
    const key = JSON.stringify([rule.door, rule.method, rule.url, rule.table]);
    const slot = rules.get(key) ?? { rule, effects: [] };
    slot.effects.push(effectOf(entry));
    rules.set(key, slot);
  }
  const allowed = [...rules.values()].map(({ rule, effects }) => ({ ...rule, max: distinctEffects(effects).length }));
  return {
    format: CONTRACT_FORMAT,
    version: CONTRACT_VERSION,
    fixture: options.fixture,
    tape: options.tapeFile,
    command: options.command && options.command.length > 0 ? [...options.command] : [...PLACEHOLDER_COMMAND],
    interval: DEFAULT_INTERVAL,
    expect: {
      exitCode: options.exitCode ?? 0,
      outputs: [],
      sideEffects: { allowed, forbidden: [], others: 'forbid' },
    },
  };
}

/** One rule per door, method, endpoint (IDs in its path collapsed to `*`) and table. */
function ruleFor(entry: TapeEntry): AllowedSideEffect {
  const rule: AllowedSideEffect = { door: entry.kind, method: entry.request.normalized.method };
  if (DATABASE_DOORS.has(entry.kind)) {
    // The server's URL would tie the contract to where it was recorded: the table says what is written.
    const table = tableOfEntry(entry);
    if (table !== undefined) rule.table = table;
    return rule;
  }
  const glob = pathGlob(entry.request.normalized.url);
  if (glob !== undefined) rule.url = glob;
  return rule;
}

/**
 * `http://127.0.0.1:4020/orders/8231/refunds?x=1` → `*\/orders/*\/refunds`: any host (the port
 * of a test server changes), no query, IDs as `*`. Undefined for a URL with no path to speak of
 * (a Redis server's `redis://host:6379/0` addresses the server, not an endpoint).
 */
export function pathGlob(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') return undefined;
  if (parsed.pathname === '' || parsed.pathname === '/') return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? '*/' : undefined;
  const segments = parsed.pathname.split('/').map((segment) => (isIdSegment(segment) ? '*' : segment.replaceAll('*', '%2A')));
  return `*${segments.join('/')}`;
}


function effectOf(entry: TapeEntry): ObservedSideEffect {
  const effect: ObservedSideEffect = { door: entry.kind, method: entry.request.normalized.method, url: entry.request.normalized.url, step: entry.step, how: 'served' };
  const key = idempotencyKeyOf(entry.request.headers);
  if (key !== undefined) effect.idempotencyKey = key;
  return effect;
}
