/**
 * The parts of `ioredis` and of `@redis/client` (node-redis, what the `redis` package wraps) the
 * Redis door touches, by shape: the door patches the modules the app loaded and imports neither.
 */

// ---------------------------------------------------------------------------------------------
// ioredis 6

/** A command on its way through `Redis#sendCommand`. */
export interface IORedisCommand {
  /** Lower-case, as the client's method names: `get`, `hset`, `evalsha`. */
  name: string;
  args: unknown[];
  promise: Promise<unknown>;
  /** Converts a raw reply (Buffers, numbers, arrays) the way the command asked, then settles. */
  resolve(reply: unknown): void;
  reject(error: Error): void;
  setReplyContext?(context: unknown): void;
}

/** What a connection's settings say about where it goes and how it speaks. */
export interface IORedisOptions {
  host?: string;
  port?: number;
  path?: string;
  db?: number;
  username?: string;
  password?: string;
  protocol?: number;
  replyMapping?: string;
  sentinels?: unknown;
  monitor?: boolean;
  Connector?: unknown;
}

/** The state of one connection: `select` is the logical database it is on, `handshake` its setup phase. */
export interface IORedisCondition {
  select?: number;
  handshake?: boolean;
  auth?: unknown;
  subscriber?: unknown;
  protocol?: number;
  replyMapping?: string;
}

export interface IORedisClient {
  status: string;
  options: IORedisOptions;
  condition?: IORedisCondition;
  connectionEpoch?: number;
  retryAttempts?: number;
  manuallyClosing?: boolean;
  setStatus(status: string, arg?: unknown): void;
  /** emit() that only logs an 'error' nobody listens to. */
  silentEmit?(event: string, arg?: unknown): unknown;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  once(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
  connect(callback?: (error?: Error | null) => void): Promise<void>;
  disconnect(reconnect?: boolean): void;
}

export interface IORedisPrototype {
  connect(this: IORedisClient, callback?: (error?: Error | null) => void): Promise<void>;
  sendCommand(this: IORedisClient, command: IORedisCommand, stream?: unknown): unknown;
  disconnect(this: IORedisClient, reconnect?: boolean): void;
}

/** The module's exports: the Redis class with Command, Cluster and ReplyError on it. */
export interface IORedisModule {
  prototype: IORedisPrototype;
  Command?: { prototype: { setReplyContext?(context: unknown): void } };
  Cluster?: { prototype: { connect(...args: unknown[]): unknown } };
  ReplyError?: new (message: string) => Error;
}

/** ioredis/built/resp/errors.js: the classes its RESP decoder makes error replies of. */
export interface IORedisRespErrors {
  SimpleError?: new (message: string) => Error;
  BlobError?: new (message: string) => Error;
}

// ---------------------------------------------------------------------------------------------
// @redis/client 6 (node-redis)

export interface NodeRedisSocketOptions {
  host?: string;
  port?: number;
  path?: string;
}

export interface NodeRedisClient {
  /** The client itself: node-redis hands out proxies (`Object.create(client)`) that share it. */
  _self: NodeRedisClient;
  options?: { socket?: NodeRedisSocketOptions; database?: number };
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/** One command of a MULTI or pipeline, as the client queued it. */
export interface NodeRedisQueuedCommand {
  args: unknown[];
  transformReply?: unknown;
}

type Method = (...args: never[]) => unknown;

/** RedisClient.prototype: the methods the door replaces in a replay. */
export interface NodeRedisClientPrototype {
  connect: Method;
  sendCommand: Method;
  _executeMulti: Method;
  _executePipeline: Method;
  QUIT: Method;
  close: Method;
  destroy: Method;
  reset: Method;
  SUBSCRIBE: Method;
  PSUBSCRIBE: Method;
  SSUBSCRIBE: Method;
  MONITOR: Method;
}

/** dist/lib/errors.js: the classes the app may test its errors against. */
export interface NodeRedisErrors {
  ErrorReply?: new (message: string) => Error;
  SimpleError?: new (message: string) => Error;
  BlobError?: new (message: string) => Error;
  WatchError?: new (message?: string) => Error;
  ClientClosedError?: new () => Error;
  [name: string]: unknown;
}

/** The context node-redis publishes on its `node-redis:command` and `node-redis:batch` tracing channels. */
export interface NodeRedisTraceContext {
  command?: string;
  database?: number;
  serverAddress?: string;
  serverPort?: number;
  batchMode?: 'MULTI' | 'PIPELINE';
}

/** What a module's exports look like when they come from `import`: the namespace, CommonJS exports as `default`. */
export function commonJsExports<T>(moduleExports: T | { default: T }): T {
  const namespace = moduleExports as { [Symbol.toStringTag]?: unknown; default?: T };
  return namespace[Symbol.toStringTag] === 'Module' && namespace.default ? namespace.default : (moduleExports as T);
}
