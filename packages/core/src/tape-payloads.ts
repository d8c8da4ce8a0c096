import { TapeFormatError } from './errors.js';
import { sha256Hex } from './hash.js';

/*
 * The compact tape file (version 2 and later): each distinct large payload once, content-addressed.
 *
 * An agent resends its whole conversation on every call, so the bodies of a long run repeat the
 * same messages, tool schemas and system prompt hundreds of times: written out whole, a 300-call
 * run is tens of megabytes of the same text. A compact tape file keeps a `payloads` table keyed by
 * the hex SHA-256 of each payload's canonical JSON, and bodies refer to it with
 * `{ "$payload": "<hex>" }`:
 *
 *   - a JSON body that is canonical JSON (every normalised request body is) and shares a large
 *     part with another body is written as `json`: its value, with every shared part (a message,
 *     the tool list, a long string) replaced by a reference, and a long list that shares runs of
 *     items with another body written as `{ "$concat": [...] }`: the runs it shares as references
 *     to arrays, the rest inline, spliced together in order. Its `data` is the canonical JSON of
 *     that value once expanded, so key order and indentation in the file never change a body;
 *   - any other large body whose text occurs more than once is written with `data` a reference to
 *     the text;
 *   - everything else stays inline, as in version 1, so a body that is not repeated reads as before.
 *
 * A payload can itself refer to payloads (a message shared by more bodies than the list it is in).
 * Reading expands every reference, so the in-memory Tape is the same as from a version 1 file.
 * Payloads are listed in order of first use, so a refreshed fixture's diff shows new payloads near
 * the steps that use them, one string per line or the JSON pretty-printed.
 */

type JsonObject = Record<string, unknown>;

export const PAYLOAD_REF = '$payload';
export const PAYLOAD_CONCAT = '$concat';
const HEX_SHA256 = /^[0-9a-f]{64}$/;
/** A reference costs about 80 characters in the file: sharing anything smaller saves nothing. */
const MIN_SHARED_CHARS = 256;
/**
 * Long arrays are cut into runs where an item's hash says so (about one item in RUN_SPREAD), so a
 * list that only grew between two bodies (a conversation's messages) is cut at the same places in
 * both, and the runs they share are written once: `{ "$concat": [ <run ref>, <run ref>, [items] ] }`.
 */
const RUN_MIN_ITEMS = 8;
const RUN_SPREAD = 16;
/** Bodies nested deeper stay whole strings, so the file stays well inside the reader's depth limit. */
const MAX_TEMPLATE_DEPTH = 32;
/** Nesting of a body's value plus the references it goes through; the writer stays far below. */
const MAX_EXPANSION_DEPTH = 256;

/** A body holder (request, response, chunk) and where its `body` sits, for messages. */
type BodyVisitor = (holder: JsonObject, path: string, entryIndex: number | undefined) => void;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every place a tape holds an EncodedBody; tolerant of malformed shapes (the schema check names those). */
function forEachBodyHolder(tape: JsonObject, visit: BodyVisitor): void {
  const exchange = (value: unknown, path: string, entryIndex: number | undefined, inbound: boolean) => {
    if (!isObject(value)) return;
    const { request, response } = value;
    if (isObject(request)) {
      if (isObject(request.normalized) && request.normalized.body !== undefined) visit(request.normalized, `${path}.request.normalized`, entryIndex);
      if (inbound && request.body !== undefined) visit(request, `${path}.request`, entryIndex);
    }
    if (isObject(response)) {
      if (response.body !== undefined) visit(response, `${path}.response`, entryIndex);
      if (Array.isArray(response.chunks)) {
        response.chunks.forEach((chunk, j) => {
          if (isObject(chunk) && chunk.body !== undefined) visit(chunk, `${path}.response.chunks[${j}]`, entryIndex);
        });
      }
    }
  };
  if (Array.isArray(tape.entries)) tape.entries.forEach((entry, i) => exchange(entry, `entries[${i}]`, i, false));
  exchange(tape.inbound, 'inbound', undefined, true);
}

/** A copy sharing everything but the objects that hold bodies, which the reader replaces. */
function copyBodyHolders(tape: JsonObject): JsonObject {
  const exchange = (value: unknown): unknown => {
    if (!isObject(value)) return value;
    const copy: JsonObject = { ...value };
    if (isObject(value.request)) {
      const request: JsonObject = { ...value.request };
      if (isObject(request.normalized)) request.normalized = { ...request.normalized };
      copy.request = request;
    }
    if (isObject(value.response)) {
      const response: JsonObject = { ...value.response };
      if (Array.isArray(response.chunks)) response.chunks = response.chunks.map((chunk) => (isObject(chunk) ? { ...chunk } : chunk));
      copy.response = response;
    }
    return copy;
  };
  const copy: JsonObject = { ...tape };
  if (Array.isArray(tape.entries)) copy.entries = tape.entries.map(exchange);
  if (tape.inbound !== undefined) copy.inbound = exchange(tape.inbound);
  return copy;
}

/** Keys in the order canonicalJson writes them: sorted, except that integer-like keys come first, ascending (JS object order). */
function canonicalKeys(object: JsonObject): string[] {
  const keys = Object.keys(object).sort();
  if (!keys.some((key) => /^(0|[1-9][0-9]*)$/.test(key))) return keys;
  const ordered: JsonObject = {};
  for (const key of keys) Object.defineProperty(ordered, key, { value: 0, enumerable: true });
  return Object.keys(ordered);
}

function isRef(value: unknown): value is JsonObject {
  return isObject(value) && PAYLOAD_REF in value;
}

function isConcat(value: unknown): value is JsonObject {
  return isObject(value) && PAYLOAD_CONCAT in value;
}

/* ------------------------------------------------------------------ reading */

/** Where each payload is used, to name the steps an edited payload changes. */
export interface PayloadIndex {
  /** Payloads whose content no longer hashes to their key, with the entries that use them. */
  changed(): Array<{ hash: string; entryIndexes: number[] }>;
}

class PayloadReader implements PayloadIndex {
  /** Canonical JSON of each payload's expansion, rendered once however many bodies use it. */
  private readonly rendered = new Map<string, string>();
  private readonly rendering = new Set<string>();
  private readonly entryUsers = new Map<string, Set<number>>();
  private readonly payloadUsers = new Map<string, Set<string>>();

  constructor(
    private readonly payloads: JsonObject,
    private readonly where: string,
  ) {}

  fail(path: string, problem: string): never {
    throw new TapeFormatError(this.where, `${path} ${problem}`);
  }

  /** The body as the in-memory tape holds it: `data` a string. */
  expandBody(body: unknown, path: string, entryIndex: number | undefined): unknown {
    if (!isObject(body)) return body;
    if (body.json !== undefined) {
      if (body.data !== undefined) this.fail(path, 'has both "data" and "json": a body is one or the other');
      const { json, ...rest } = body;
      return { ...rest, data: this.render(json, `${path}.json`, 0, { entryIndex }) };
    }
    if (isRef(body.data)) {
      const hash = this.refHash(body.data, `${path}.data`, { entryIndex });
      const value = this.payload(hash, `${path}.data`);
      if (typeof value !== 'string') this.fail(`${path}.data`, `refers to payloads["${hash}"], which is not a string: a body's data is text`);
      return { ...body, data: value };
    }
    return body;
  }

  /** What reading will make of a template: the guarantee that compacting never changes a body. */
  expandsTo(template: unknown, data: string): boolean {
    try {
      return (this.expandBody({ json: template }, 'body', undefined) as JsonObject).data === data;
    } catch {
      return false;
    }
  }

  changed(): Array<{ hash: string; entryIndexes: number[] }> {
    const changed: Array<{ hash: string; entryIndexes: number[] }> = [];
    for (const [hash, value] of Object.entries(this.payloads)) {
      let text: string;
      try {
        text = this.rendered.get(hash) ?? this.render(value, `payloads["${hash}"]`, 0, { payload: hash });
      } catch {
        continue; // a payload nothing uses can be broken too; the checksum already refused the tape
      }
      if (sha256Hex(text) !== hash) changed.push({ hash, entryIndexes: this.entriesUsing(hash) });
    }
    return changed;
  }

  /** Entries that use the payload, directly or through other payloads. */
  private entriesUsing(hash: string): number[] {
    const entries = new Set<number>();
    const seen = new Set<string>();
    const pending = [hash];
    while (pending.length > 0) {
      const current = pending.pop()!;
      if (seen.has(current)) continue;
      seen.add(current);
      for (const index of this.entryUsers.get(current) ?? []) entries.add(index);
      pending.push(...(this.payloadUsers.get(current) ?? []));
    }
    return [...entries].sort((a, b) => a - b);
  }

  private payload(hash: string, path: string): unknown {
    if (!Object.hasOwn(this.payloads, hash)) this.fail(path, `refers to payloads["${hash}"], which the tape does not hold`);
    return this.payloads[hash];
  }

  private refHash(ref: JsonObject, path: string, user: { entryIndex?: number | undefined; payload?: string }): string {
    const hash = ref[PAYLOAD_REF];
    if (Object.keys(ref).length !== 1 || typeof hash !== 'string' || !HEX_SHA256.test(hash)) {
      this.fail(path, `must be a reference { "${PAYLOAD_REF}": "<64 hex characters>" } and nothing else`);
    }
    if (user.payload !== undefined) addTo(this.payloadUsers, hash, user.payload);
    else if (user.entryIndex !== undefined) addTo(this.entryUsers, hash, user.entryIndex);
    return hash;
  }

  private render(node: unknown, path: string, depth: number, user: { entryIndex?: number | undefined; payload?: string }): string {
    if (depth > MAX_EXPANSION_DEPTH) this.fail(path, `nests deeper than ${MAX_EXPANSION_DEPTH} levels, references included`);
    if (node === null || typeof node !== 'object') return JSON.stringify(node);
    if (Array.isArray(node)) return `[${node.map((item, i) => this.render(item, `${path}[${i}]`, depth + 1, user)).join(',')}]`;
    const object = node as JsonObject;
    if (isRef(object)) {
      const hash = this.refHash(object, path, user);
      const done = this.rendered.get(hash);
      if (done !== undefined) return done;
      if (this.rendering.has(hash)) this.fail(path, `refers to payloads["${hash}"], which refers back to itself`);
      const value = this.payload(hash, path);
      this.rendering.add(hash);
      const text = this.render(value, `payloads["${hash}"]`, depth + 1, { payload: hash });
      this.rendering.delete(hash);
      this.rendered.set(hash, text);
      return text;
    }
    if (isConcat(object)) return this.renderConcat(object, path, depth, user);
    const members = canonicalKeys(object).map((key) => `${JSON.stringify(key)}:${this.render(object[key], `${path}.${key}`, depth + 1, user)}`);
    return `{${members.join(',')}}`;
  }

  /** One array spliced from its parts: arrays inline, or references to arrays. */
  private renderConcat(concat: JsonObject, path: string, depth: number, user: { entryIndex?: number | undefined; payload?: string }): string {
    const parts = concat[PAYLOAD_CONCAT];
    if (Object.keys(concat).length !== 1 || !Array.isArray(parts)) this.fail(path, `must be { "${PAYLOAD_CONCAT}": [arrays or references to arrays] } and nothing else`);
    const pieces: string[] = [];
    parts.forEach((part, i) => {
      const partPath = `${path}.${PAYLOAD_CONCAT}[${i}]`;
      if (!Array.isArray(part) && !isRef(part)) this.fail(partPath, 'must be an array or a reference to one');
      const text = this.render(part, partPath, depth + 1, user);
      if (!text.startsWith('[')) this.fail(partPath, 'refers to a payload that is not an array');
      if (text.length > 2) pieces.push(text.slice(1, -1));
    });
    return `[${pieces.join(',')}]`;
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/**
 * A version 2 or 3 tape file with every payload reference expanded, `payloads` dropped: the shape of a
 * version 1 file. The file itself is left as it is (its checksum is verified on it afterwards).
 * @throws TapeFormatError naming the JSON path of a malformed or dangling reference
 */
export function expandPayloads(file: JsonObject, where: string): { tape: JsonObject; index: PayloadIndex } {
  const payloads = file.payloads ?? {};
  if (!isObject(payloads)) throw new TapeFormatError(where, 'payloads must be an object of payloads by hex SHA-256');
  for (const key of Object.keys(payloads)) {
    if (!HEX_SHA256.test(key)) throw new TapeFormatError(where, `payloads[${JSON.stringify(key).slice(0, 80)}]: a payload's key must be its hex SHA-256 (64 lower-case hex characters)`);
  }
  const reader = new PayloadReader(payloads, where);
  const tape = copyBodyHolders(file);
  delete tape.payloads;
  forEachBodyHolder(tape, (holder, path, entryIndex) => {
    holder.body = reader.expandBody(holder.body, `${path}.body`, entryIndex);
  });
  return { tape, index: reader };
}

/* ------------------------------------------------------------------ writing */

/** Large values of one body, measured in the first pass: their content hashes, by identity. */
interface MeasuredBody {
  holder: JsonObject;
  value: unknown;
  hashes: Map<unknown, string>;
  runsOf: Map<unknown[], Run[]>;
}

class UnfitForTemplate extends Error {}

/**
 * Rewrites a plain (JSON round-tripped, version 1 shaped) tape into the compact form, in place:
 * shared payloads move to a `payloads` table (added only when something is shared). Every JSON
 * body written as a template is checked to expand back to exactly its text, or stays a string.
 */
export function compactPayloads(tape: JsonObject): JsonObject {
  const counts = new Map<string, number>();
  const count = (hash: string) => counts.set(hash, (counts.get(hash) ?? 0) + 1);
  const json: MeasuredBody[] = [];
  const texts: Array<{ holder: JsonObject; hash: string }> = [];

  // First pass: the content hash of every large part of every body, and how often each occurs.
  forEachBodyHolder(tape, (holder) => {
    const body = holder.body;
    if (!isObject(body) || typeof body.data !== 'string' || body.data.length < MIN_SHARED_CHARS) return;
    const measured = body.encoding === 'utf8' ? measureJson(body.data) : undefined;
    if (measured) {
      for (const hash of measured.hashes.values()) count(hash);
      for (const runs of measured.runsOf.values()) for (const run of runs) count(run.hash);
      json.push({ holder, ...measured });
    } else {
      const hash = sha256Hex(JSON.stringify(body.data));
      count(hash);
      texts.push({ holder, hash });
    }
  });

  // Second pass: replace what occurs more than once by references, largest shared part first.
  // Keys are hex digests, never integer-like, so the object keeps them in order of first use.
  const payloads: JsonObject = {};
  const reader = new PayloadReader(payloads, 'the tape being written');
  for (const { holder, hash } of texts) {
    if (counts.get(hash)! < 2) continue;
    const body = holder.body as JsonObject;
    if (!Object.hasOwn(payloads, hash)) payloads[hash] = body.data;
    holder.body = { ...body, data: { [PAYLOAD_REF]: hash } };
  }
  for (const { holder, value, hashes, runsOf } of json) {
    const added: string[] = [];
    const encode = (node: unknown, enclosing: number): unknown => {
      const hash = hashes.get(node);
      const occurrences = hash === undefined ? 0 : counts.get(hash)!;
      // A part is shared on its own only if it occurs more often than the part around it: a
      // message's text is not split off the message unless another body holds the text alone.
      if (hash !== undefined && occurrences >= 2 && occurrences > enclosing) {
        if (!Object.hasOwn(payloads, hash)) {
          payloads[hash] = undefined; // first use decides the order, parents before their parts
          added.push(hash);
          payloads[hash] = inside(node, occurrences);
        }
        return { [PAYLOAD_REF]: hash };
      }
      return inside(node, enclosing);
    };
    const shared = (hash: string, enclosing: number): number | undefined => {
      const occurrences = counts.get(hash)!;
      return occurrences >= 2 && occurrences > enclosing ? occurrences : undefined;
    };
    const inside = (node: unknown, enclosing: number): unknown => {
      if (Array.isArray(node)) {
        const runs = runsOf.get(node)?.filter((run) => shared(run.hash, enclosing) !== undefined);
        if (!runs || runs.length === 0) return node.map((item) => encode(item, enclosing));
        // The runs other bodies share, by reference; the items between and after them, inline.
        const parts: unknown[] = [];
        let at = 0;
        const inlineUpTo = (end: number) => {
          if (at < end) parts.push(node.slice(at, end).map((item) => encode(item, enclosing)));
          at = end;
        };
        for (const run of runs) {
          inlineUpTo(run.start);
          if (!Object.hasOwn(payloads, run.hash)) {
            payloads[run.hash] = undefined;
            added.push(run.hash);
            const occurrences = shared(run.hash, enclosing)!;
            payloads[run.hash] = node.slice(run.start, run.end).map((item) => encode(item, occurrences));
          }
          parts.push({ [PAYLOAD_REF]: run.hash });
          at = run.end;
        }
        inlineUpTo(node.length);
        return { [PAYLOAD_CONCAT]: parts };
      }
      if (isObject(node)) return Object.fromEntries(canonicalKeys(node).map((key) => [key, encode(node[key], enclosing)]));
      return node;
    };
    const template = encode(value, 1);
    const body = holder.body as JsonObject;
    if (!containsRef(template) || !reader.expandsTo(template, body.data as string)) {
      for (const hash of added) delete payloads[hash];
      continue;
    }
    const { data: _data, ...rest } = body;
    holder.body = { ...rest, json: template };
  }
  if (Object.keys(payloads).length > 0) tape.payloads = payloads;
  return tape;
}

/**
 * Parses a body that is canonical JSON and measures its large parts; undefined for anything else
 * (not JSON, not canonical, nested too deep, or holding what reads as a reference).
 */
function measureJson(data: string): { value: unknown; hashes: Map<unknown, string>; runsOf: Map<unknown[], Run[]> } | undefined {
  const first = data[0];
  if (first !== '{' && first !== '[') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  const hashes = new Map<unknown, string>();
  const runsOf = new Map<unknown[], Run[]>();
  const canonical = (node: unknown, depth: number): string => {
    if (depth > MAX_TEMPLATE_DEPTH) throw new UnfitForTemplate();
    let text: string;
    if (node === null || typeof node !== 'object') text = JSON.stringify(node);
    else if (Array.isArray(node)) {
      const items = node.map((item) => canonical(item, depth + 1));
      text = `[${items.join(',')}]`;
      if (items.length >= RUN_MIN_ITEMS) {
        const runs = closedRuns(items);
        if (runs.length > 0) runsOf.set(node, runs);
      }
    } else {
      if (isRef(node) || isConcat(node)) throw new UnfitForTemplate();
      const object = node as JsonObject;
      text = `{${canonicalKeys(object).map((key) => `${JSON.stringify(key)}:${canonical(object[key], depth + 1)}`).join(',')}}`;
    }
    // Strings are keyed by value: the same text in two bodies is two occurrences of one part.
    if (text.length >= MIN_SHARED_CHARS && (typeof node === 'string' || (node !== null && typeof node === 'object'))) hashes.set(node, sha256Hex(text));
    return text;
  };
  try {
    // Numbers a double cannot hold, or anything else JSON.parse does not give back as written, fail here.
    if (canonical(value, 0) !== data) return undefined;
  } catch (error) {
    if (error instanceof UnfitForTemplate) return undefined;
    throw error;
  }
  return { value, hashes, runsOf };
}

/** A run of a long array's items, [start, end), and the content hash of that slice. */
interface Run {
  start: number;
  end: number;
  hash: string;
}

/**
 * Cuts an array (its items' canonical JSON) after every item whose hash picks it: the cuts depend
 * on the items only, so two lists with a common beginning are cut alike there. The items after
 * the last cut are left out: in a list that grows they are the part the next body changes.
 */
function closedRuns(items: string[]): Run[] {
  const runs: Run[] = [];
  let start = 0;
  for (let i = 0; i < items.length; i++) {
    if (Number.parseInt(sha256Hex(items[i]!).slice(0, 8), 16) % RUN_SPREAD !== 0) continue;
    const text = `[${items.slice(start, i + 1).join(',')}]`;
    if (text.length >= MIN_SHARED_CHARS) runs.push({ start, end: i + 1, hash: sha256Hex(text) });
    start = i + 1;
  }
  return runs;
}

function containsRef(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(containsRef);
  if (isObject(node)) return isRef(node) || Object.values(node).some(containsRef);
  return false;
}

/** Pretty-printed JSON with each payload reference on one line. */
export function formatCompactTape(file: JsonObject): string {
  // Inside JSON strings a line break is always escaped, so only the file's own layout can match.
  return (
    JSON.stringify(file, null, 2).replace(/\{\n\s*"\$payload": ("[0-9a-f]{64}")\n\s*\}/g, `{ "${PAYLOAD_REF}": $1 }`) + '\n'
  );
}
