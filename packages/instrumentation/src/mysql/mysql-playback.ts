import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { requestKey, TracetapeError, type Redactor, type TapeEntry, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { callbackValues, mysqlKeyRules, outcomeOf, readQueryArgs, targetOf, type MysqlOutcome, type QueryArgs } from './mysql-call.js';
import type { MysqlCallback, MysqlCommandLike, MysqlConnectionClass, MysqlConnectionLike } from './mysql-types.js';

/** A mysql2 command the door cannot answer from a tape. */
export class MysqlPlaybackUnsupportedError extends TracetapeError {
  constructor(what: string, instead: string) {
    super('TRACETAPE_PLAYBACK_UNSUPPORTED', `tracetape cannot replay ${what} yet: nothing was sent. ${instead}`);
  }
}

/** A recorded query whose outcome the recording does not hold: it was still running when the recording was saved. */
export class MysqlRecordingIncompleteError extends TracetapeError {
  constructor(entry: TapeEntry) {
    const { method, url } = entry.request.normalized;
    super(
      'TRACETAPE_RESPONSE_INCOMPLETE',
      `tracetape: step ${entry.step} (${method} ${url}) was recorded without its outcome: the query was still running when the recording was saved ` +
        '(a query read by its events whose rows took longer than capture waits). Record the run again, letting the query finish, or give it a callback.',
    );
  }
}

type Method = (this: MysqlConnectionLike, ...args: unknown[]) => unknown;

/** The ConnectionConfig settings a replay decides: where the bytes go, and how long to wait for a server. */
const SILENCED = ['stream', 'connectTimeout'] as const;

/**
 * Playback for `mysql2`. Its own Connection, Pool and promise classes run as they are; only what
 * would reach the server is replaced. Every connection gets a stream that goes nowhere (no socket
 * is opened) and its handshake succeeds at once; each query and execute is keyed as capture keyed
 * it and answered from the tape, in the recorded completion order, as the rows and columns or the
 * error the app got then; one the tape does not hold fails with the divergence.
 */
export class MysqlPlayback {
  private connections = 0;

  constructor(
    private readonly matcher: TapeMatcher,
    private readonly order: CompletionOrder,
    private readonly redactor: Redactor,
    private readonly options: PlaybackOptions,
  ) {}

  /**
   * Makes every connection configured through this ConnectionConfig prototype get a silent stream
   * in place of a socket, and no connect timeout (there is nothing to wait for). Every way to a
   * connection reads them from a ConnectionConfig: createConnection, pools (whose connections copy
   * the pool's config), pool clusters, both APIs. Accessors on the prototype, so that they hold for
   * configs made while they are there whatever the app passed (its own `stream` would reach the
   * network), and can be taken off again; a server-side connection (mysql2's createServer) keeps
   * its socket. Returns the undo.
   */
  silenceConnections(configPrototype: object): () => void {
    const saved = SILENCED.map((name) => [name, Object.getOwnPropertyDescriptor(configPrototype, name)] as const);
    for (const name of SILENCED) {
      const given = Symbol.for(`tracetape.mysql.config.${name}`);
      const silent = name === 'stream' ? () => new SilentStream() : 0;
      Object.defineProperty(configPrototype, name, {
        configurable: true,
        get(this: Record<string | symbol, unknown>) {
          return this.isServer ? this[given] : silent;
        },
        set(this: Record<string | symbol, unknown>, value: unknown) {
          this[given] = value;
        },
      });
    }
    return () => {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(configPrototype, name, descriptor);
        else delete (configPrototype as Record<string, unknown>)[name];
      }
    };
  }

  /**
   * `addCommand`: where mysql2 queues what it sends. The handshake succeeds at once; closing,
   * pinging, resetting and changing user are answered as the server would; anything else that
   * would reach the server (an explicit prepare) is refused.
   */
  addCommand(): (this: MysqlConnectionLike, command: MysqlCommandLike) => unknown {
    const playback = this;
    return function addCommand(this: MysqlConnectionLike, command: MysqlCommandLike): unknown {
      switch (command.constructor?.name) {
        case 'ClientHandshake':
          playback.handshake(this, command);
          break;
        case 'Quit':
          this._closing = true;
          // mysql2 calls back as it sends the quit; the server then closes the connection.
          (command.onResult as (() => void) | undefined)?.();
          command.emit('end');
          setImmediate(() => (this.stream instanceof SilentStream ? this.stream.hangUp() : undefined));
          break;
        case 'ChangeUser':
          changeUser(command);
          answerLater(command);
          break;
        case 'Ping':
        case 'ResetConnection':
        case 'CloseStatement':
          answerLater(command);
          break;
        default:
          failLater(command, unsupported(command.constructor?.name ?? 'command'));
      }
      return command;
    };
  }

  /** `query(sql | options | command, values?, callback?)`: returns mysql2's own Query command, answered from the tape. */
  query(Connection: MysqlConnectionClass, original: Method): Method {
    const playback = this;
    return function query(this: MysqlConnectionLike, ...args: unknown[]): unknown {
      const read = readQueryArgs(args, 'query');
      if (!read || typeof Connection.createQuery !== 'function') return original.apply(this, args);
      const command = read.command ?? Connection.createQuery(args[0], args[1], args[2], this.config);
      // As mysql2 does: the command carries the statement formatted with its values (apps log it).
      this._resolveNamedPlaceholders?.(command);
      if (typeof this.format === 'function' && typeof command.sql === 'string') {
        command.sql = this.format(command.sql, command.values !== undefined ? command.values : [], command.namedPlaceholders);
      }
      playback.answer(this, read, command, command.sql);
      return command;
    };
  }

  /** `execute(sql | options, values?, callback?)`: a command answered from the tape. */
  execute(original: Method): Method {
    const playback = this;
    return function execute(this: MysqlConnectionLike, ...args: unknown[]): unknown {
      const read = readQueryArgs(args, 'execute');
      if (!read) return original.apply(this, args);
      const callback = read.callbackIndex !== undefined ? (args[read.callbackIndex] as MysqlCallback) : undefined;
      const command = new ReplayedExecute(read.call.statement, read.values, callback);
      playback.answer(this, read, command, read.call.statement);
      return command;
    };
  }

  private handshake(connection: MysqlConnectionLike, command: MysqlCommandLike): void {
    const connectionId = ++this.connections;
    // What mysql2 reads of the server's greeting when the handshake ends: it then emits 'connect'.
    (command as MysqlCommandLike & { handshake: object }).handshake = {
      protocolVersion: 10,
      serverVersion: 'tracetape-replay',
      connectionId,
      characterSet: connection.config.charsetNumber,
      statusFlags: 2,
      capabilityFlags: 0,
      authPluginName: 'mysql_native_password',
    };
    connection.authorized = true;
    setImmediate(() => command.emit('end'));
  }

  /** The recorded answer to the query, or the divergence as its error; `sql` is the statement mysql2 puts on an error. */
  private answer(connection: MysqlConnectionLike, read: QueryArgs, command: MysqlCommandLike, sql: string | undefined): void {
    const key = requestKey(read.call, this.redactor, mysqlKeyRules(targetOf(connection.config)));
    const taken = takeStep(this.matcher, this.options, key);
    if ('error' in taken) {
      const failure = taken.error;
      setImmediate(() => deliver(command, { error: failure }));
      return;
    }
    const { entry } = taken;
    void answerInTurn(this.order, entry).then(() => {
      const { response } = entry;
      deliver(command, response.complete && response.body ? outcomeOf(response, sql) : { error: new MysqlRecordingIncompleteError(entry) });
    });
  }
}

/**
 * Hands the outcome over as mysql2 does: the error to the callback or as an 'error' event; a
 * result as 'fields' and 'result' events (rows only without a callback, mysql2 keeps them for it)
 * and to the callback on the next tick; 'end' last, which a pool waits for to take the connection back.
 */
function deliver(command: MysqlCommandLike, outcome: MysqlOutcome): void {
  const callback = typeof command.onResult === 'function' ? command.onResult : undefined;
  if ('error' in outcome) {
    if (callback) callback(outcome.error);
    else command.emit('error', outcome.error);
    command.emit('end');
    return;
  }
  const { result } = outcome;
  result.sets.forEach((set, index) => {
    command.emit('fields', set.fields);
    if (set.header) command.emit('result', set.header);
    else if (!callback) for (const row of set.rows ?? []) command.emit('result', row, index);
  });
  if (callback) {
    const [rows, fields] = callbackValues(result);
    process.nextTick(() => (fields === undefined ? callback(null, rows) : callback(null, rows, fields)));
  }
  command.emit('end');
}

function answerLater(command: MysqlCommandLike): void {
  setImmediate(() => {
    command.onResult?.(null);
    command.emit('end');
  });
}

function failLater(command: MysqlCommandLike, error: Error): void {
  setImmediate(() => deliver(command, { error }));
}

/** What mysql2's ChangeUser applies to the connection's config when the server accepts it. */
function changeUser(command: MysqlCommandLike): void {
  const change = command as MysqlCommandLike & { currentConfig?: Record<string, unknown>; user?: unknown; database?: unknown; charsetNumber?: unknown };
  if (!change.currentConfig) return;
  change.currentConfig.user = change.user;
  change.currentConfig.database = change.database;
  change.currentConfig.charsetNumber = change.charsetNumber;
}

function unsupported(command: string): MysqlPlaybackUnsupportedError {
  if (command === 'Prepare' || command === 'Execute') {
    return new MysqlPlaybackUnsupportedError(
      'connection.prepare() and its statements',
      'They are not recorded either. Use connection.execute(sql, values), which prepares the statement itself and is recorded and replayed.',
    );
  }
  return new MysqlPlaybackUnsupportedError(`the mysql2 ${command} command`, 'Only query(), execute() and the commands around them (connect, ping, reset, changeUser, end) are replayed.');
}

/** The command execute() returns in a replay: the statement and values, the callback, and the events. */
class ReplayedExecute extends EventEmitter implements MysqlCommandLike {
  constructor(
    readonly sql: string,
    readonly values: unknown,
    readonly onResult: MysqlCallback | undefined,
  ) {
    super();
  }
}

/** A connection's stream in a replay: takes what mysql2 writes, says nothing, ends when the connection quits. */
export class SilentStream extends Duplex {
  override _read(): void {}

  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  /** The server closing its side after a quit. */
  hangUp(): void {
    this.push(null);
  }
}
