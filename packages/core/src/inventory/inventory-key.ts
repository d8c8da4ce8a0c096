import type { BoundaryKind } from '../tape.js';
import { targetTemplate } from '../url-template.js';
import type { InventoryCall, InventoryDoor } from './inventory.js';
import { redisFamily } from './redis-families.js';
import { statementTables } from './statement-tables.js';

/** What a group of calls is listed under: one inventory entry per distinct key and service. */
export interface InventoryKey {
  door: InventoryDoor;
  system: string;
  operation: string;
  mutates: boolean;
}

const SAFE_HTTP_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Per door: where its calls went (system) and what they did there (operation). */
const KEY_OF: Readonly<Record<BoundaryKind, (call: InventoryCall) => Omit<InventoryKey, 'mutates'>>> = {
  http: (call) => urlKey('http', call),
  websocket: (call) => urlKey('websocket', call),
  // A gRPC path is a method name, not a resource: nothing in it is an ID to collapse.
  grpc: (call) => ({ door: 'grpc', system: urlParts(call.target)?.host || call.host || '(unknown host)', operation: grpcMethod(call) }),
  postgres: (call) => databaseKey('postgres', 'postgresql', call),
  mysql: (call) => databaseKey('mysql', 'mysql', call),
  redis: (call) => ({ door: 'redis', system: databaseSystem('redis', call), operation: redisFamily(call.method) }),
  process: (call) => ({ door: 'process', system: executableOf(call), operation: commandOf(call) }),
  mcp: (call) => ({ door: 'mcp', system: call.target || '(unknown server)', operation: call.method || call.toolName }),
  dns: (call) => ({ door: 'dns', system: call.target.replace(/^dns:/, '') || '(unknown name)', operation: call.method }),
};

/**
 * The entry a group of calls belongs to; undefined for a kind of call this tracetape does not know.
 * A recognised LLM call is door `llm`, by provider and host, with the model as its operation.
 */
export function inventoryKey(call: InventoryCall): InventoryKey | undefined {
  if (call.provider !== '') {
    const host = urlParts(call.target)?.host || call.host;
    // An LLM call is a question, not an effect, though it is a POST.
    return { door: 'llm', system: host ? `${call.provider} ${host}` : call.provider, operation: call.model || '(no model)', mutates: false };
  }
  if (!isKnownKind(call.kind)) return undefined;
  return { ...KEY_OF[call.kind](call), mutates: mutates(call) };
}

function isKnownKind(kind: string): kind is BoundaryKind {
  return Object.hasOwn(KEY_OF, kind);
}

/** The door's own judgement when it gave one; else HTTP's rule: anything but GET, HEAD and OPTIONS. */
function mutates(call: InventoryCall): boolean {
  if (call.sideEffect === 'true') return true;
  if (call.sideEffect === 'false') return false;
  if (call.kind === 'dns') return false;
  return !SAFE_HTTP_METHODS.has(call.method.toUpperCase());
}

/** `POST /refunds/{id}` at `shop.example`. */
function urlKey(door: 'http' | 'websocket', call: InventoryCall): Omit<InventoryKey, 'mutates'> {
  const parts = urlParts(call.target);
  // Only the path is templated: a host such as 127.0.0.1 or api2.example.com is not an ID.
  return { door, system: parts?.host || call.host || '(unknown host)', operation: `${call.method.toUpperCase()} ${targetTemplate(parts?.path || '/')}` };
}

/** `postgresql 127.0.0.1/orders`: the server without its port (a fresh port each run is the same server), and the database. */
function databaseKey(door: 'postgres' | 'mysql', system: string, call: InventoryCall): Omit<InventoryKey, 'mutates'> {
  const verb = (call.method || call.statement.trim().split(/\s+/)[0] || '').toUpperCase();
  const tables = call.statement ? statementTables(call.statement) : [];
  return { door, system: databaseSystem(system, call), operation: tables.length > 0 ? `${verb} ${tables.join(', ')}` : verb };
}

function databaseSystem(fallback: string, call: InventoryCall): string {
  const parts = urlParts(call.target);
  // A unix socket's directory is escaped into the host part.
  const host = parts ? decoded(parts.host) : call.host;
  const database = parts ? decoded(parts.path.replace(/^\//, '')) : call.dbNamespace;
  return `${call.dbSystem || fallback} ${host || '(unknown host)'}/${database}`;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function executableOf(call: InventoryCall): string {
  if (call.executable) return call.executable;
  const first = call.target.trim().split(/\s+/)[0] ?? '';
  return first.split('/').at(-1) || '(unknown program)';
}

/**
 * `git push`: the program and its first argument when that is a subcommand-shaped word, which is
 * what tells `git status` from `git push`; the program alone when it is an option or a path.
 */
function commandOf(call: InventoryCall): string {
  const executable = executableOf(call);
  return /^[A-Za-z][\w.:-]*$/.test(call.firstArgument) ? `${executable} ${call.firstArgument}` : executable;
}

function grpcMethod(call: InventoryCall): string {
  const parts = urlParts(call.target);
  return parts?.path.replace(/^\//, '') || call.method;
}

/**
 * Host and path of a `scheme://host/path` target, by pattern: the path as recorded (URL would
 * re-escape it) and no exception for a target URL cannot parse. The port is dropped: a service on
 * a fresh port each run is still the same one.
 */
function urlParts(url: string): { host: string; path: string } | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^?#]*)/i.exec(url);
  if (!match) return undefined;
  const host = match[1]!.replace(/^[^@]*@/, '').replace(/:\d+$/, '').toLowerCase();
  return { host, path: match[2]! };
}
