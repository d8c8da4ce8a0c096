import type { BoundaryKind } from '../tape.js';

/**
 * The door an inventory entry went through: a boundary kind, or `llm` for a recognised LLM API call
 * (an HTTP call on the wire, listed apart because its POSTs ask questions rather than change things).
 */
export type InventoryDoor = BoundaryKind | 'llm';

/** Doors in the order an inventory lists them: the network first, then data stores, then programs. */
export const INVENTORY_DOORS: readonly InventoryDoor[] = ['http', 'llm', 'grpc', 'websocket', 'postgres', 'mysql', 'redis', 'process', 'mcp', 'dns'];

/**
 * One group of recorded boundary calls as the store returns it: calls that share every field
 * below but the counts, times and credentials. Values are raw (targets with IDs and ports, full
 * statements); the inventory templates and folds them. A field a span lacks is ''.
 */
export interface InventoryCall {
  /** ServiceName. */
  service: string;
  /** `tracetape.kind`; `http` for spans recorded before the attribute existed. */
  kind: string;
  /** The normalised request's operation: HTTP method, SQL verb, Redis command, MCP method, the child-process API. */
  method: string;
  /** The normalised request's target, redacted: a URL, `postgres://host:port/db`, a command line. */
  target: string;
  /** `server.address`. */
  host: string;
  /** `gen_ai.tool.name`, on an MCP tool call. */
  toolName: string;
  /** `gen_ai.provider.name`, on a recognised LLM call. */
  provider: string;
  /** `gen_ai.request.model`. */
  model: string;
  /** `process.executable.name`. */
  executable: string;
  /** The first argument after the executable (`push` of `git push`), from `process.command_args`. */
  firstArgument: string;
  /** `db.system.name` (`postgresql`, `mysql`, `redis`). */
  dbSystem: string;
  /** `db.namespace`: the database. */
  dbNamespace: string;
  /** `db.query.text` of a SQL call (never of Redis: its text names keys). */
  statement: string;
  /** `tracetape.side_effect`: `true`, `false`, or '' when the door left it to the HTTP rule. */
  sideEffect: string;
  calls: number;
  /** Calls in error status. */
  errors: number;
  /** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn', UTC. */
  firstSeen: string;
  /** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn', UTC. */
  lastSeen: string;
  /** Names, never values: `header:authorization`, `query:api_key`, `user:shop_app`. */
  credentials: string[];
}

/** One thing a service did to one external system, over a period. */
export interface InventoryEntry {
  service: string;
  door: InventoryDoor;
  /** Host; `postgresql 127.0.0.1/orders`; `redis 127.0.0.1/0`; the executable; the MCP server's command; `openai api.openai.com`. */
  system: string;
  /** `POST /refunds/{id}`; `INSERT refunds`; `hash` (a Redis command family); `tools/call append_note`; the model. */
  operation: string;
  /** Whether these calls change something outside: a non-GET, a write statement or command, a side-effect tool. */
  mutates: boolean;
  calls: number;
  errors: number;
  /** errors / calls, to four decimals. */
  errorRate: number;
  /** ISO 8601, UTC, to the millisecond. */
  firstSeen: string;
  lastSeen: string;
  /** Sorted, each once. */
  credentials: string[];
}

/** A system as a comparison names it: which service reached what, through which door. */
export interface InventorySystem {
  service: string;
  door: InventoryDoor;
  system: string;
  calls: number;
  firstSeen: string;
}

/** Calls the inventory could not place: a kind of call this tracetape does not know (recorded by a newer one). */
export interface UnplacedCalls {
  kind: string;
  calls: number;
}

export interface Inventory {
  entries: InventoryEntry[];
  unplaced: UnplacedCalls[];
}
