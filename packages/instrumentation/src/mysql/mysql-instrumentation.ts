import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { TRACER_NAME } from '../tracer-name.js';
import type { MysqlPlayback } from './mysql-playback.js';
import { connectionPrototype, MYSQL2_VERSIONS, type MysqlConnectionClass, type MysqlConnectionConfigClass, type MysqlConnectionPrototype } from './mysql-types.js';

const REPLACED = ['query', 'execute', 'addCommand'] as const;

/** What replayTape hands over: the `mysql2` module, whose Connection and ConnectionConfig it exports. */
interface Mysql2Module {
  Connection?: MysqlConnectionClass;
  ConnectionConfig?: MysqlConnectionConfigClass;
  default?: Mysql2Module;
}

/**
 * Puts the MySQL door's playback into `mysql2` as the app requires or imports it, in the two files
 * every connection goes through whichever API made it: ConnectionConfig (no socket) and
 * Connection (query, execute and the commands around them answered without a server).
 * (Capture has its own: MysqlCaptureInstrumentation beside the official instrumentation.)
 */
export class MysqlInstrumentation extends InstrumentationBase {
  /** The package this door patches: what replayTape's `clients` option names it by. */
  readonly moduleName = 'mysql2';
  /** The undo of each ConnectionConfig prototype silenced. */
  private readonly silenced = new Map<object, () => void>();

  constructor(private readonly playback: MysqlPlayback) {
    super(`${TRACER_NAME}/mysql`, '0.1.0', {});
  }

  /**
   * Patches a `mysql2` module the app already holds (the promise API included: it runs on the same
   * classes), for code that did not load it through Node's `require`/`import` hooks (a test
   * runner's own module loader). Connections made before cannot be taken back. Returns the undo.
   */
  patchLoaded(moduleExports: unknown): () => void {
    const given = moduleExports as Mysql2Module;
    const mysql2 = given.Connection ? given : (given.default ?? given);
    const { Connection, ConnectionConfig } = mysql2;
    if (!Connection || !ConnectionConfig) {
      throw new TypeError('replayTape: the "mysql2" client must be the mysql2 module itself (import mysql2 from "mysql2"), which exports Connection and ConnectionConfig.');
    }
    this.silence(ConnectionConfig);
    this.patch(Connection);
    return () => {
      this.unpatch(Connection);
      this.unsilence(ConnectionConfig);
    };
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition('mysql2', MYSQL2_VERSIONS, (moduleExports: unknown) => moduleExports, () => undefined, [
      new InstrumentationNodeModuleFile(
        'mysql2/lib/connection_config.js',
        MYSQL2_VERSIONS,
        (ConnectionConfig: MysqlConnectionConfigClass) => {
          this.silence(ConnectionConfig);
          return ConnectionConfig;
        },
        (ConnectionConfig: MysqlConnectionConfigClass | undefined) => {
          if (ConnectionConfig) this.unsilence(ConnectionConfig);
        },
      ),
      new InstrumentationNodeModuleFile(
        'mysql2/lib/connection.js',
        MYSQL2_VERSIONS,
        (Connection: MysqlConnectionClass) => {
          this.patch(Connection);
          return Connection;
        },
        (Connection: MysqlConnectionClass | undefined) => {
          if (Connection) this.unpatch(Connection);
        },
      ),
    ]);
  }

  private silence(ConnectionConfig: MysqlConnectionConfigClass): void {
    if (!this.silenced.has(ConnectionConfig.prototype)) this.silenced.set(ConnectionConfig.prototype, this.playback.silenceConnections(ConnectionConfig.prototype));
  }

  private unsilence(ConnectionConfig: MysqlConnectionConfigClass): void {
    this.silenced.get(ConnectionConfig.prototype)?.();
    this.silenced.delete(ConnectionConfig.prototype);
  }

  private patch(Connection: MysqlConnectionClass): void {
    const proto = connectionPrototype(Connection);
    const playback = this.playback;
    this._wrap(proto, 'query', (original) => playback.query(Connection, original as never) as MysqlConnectionPrototype['query']);
    this._wrap(proto, 'execute', (original) => playback.execute(original as never) as MysqlConnectionPrototype['execute']);
    this._wrap(proto, 'addCommand', () => playback.addCommand() as MysqlConnectionPrototype['addCommand']);
  }

  private unpatch(Connection: MysqlConnectionClass): void {
    const proto = connectionPrototype(Connection);
    for (const name of REPLACED) this._unwrap(proto, name);
  }
}
