import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { TRACER_NAME } from '../tracer-name.js';
import type { MysqlPlayback } from './mysql-playback.js';
import { connectionPrototype, MYSQL2_VERSIONS, type MysqlConnectionClass, type MysqlConnectionConfigClass, type MysqlConnectionPrototype } from './mysql-types.js';

/**
 * Puts the MySQL door's playback into `mysql2` as the app requires or imports it, in the two files
 * every connection goes through whichever API made it: ConnectionConfig (no socket) and
 * Connection (query, execute and the commands around them answered without a server).
 * (Capture has its own: MysqlCaptureInstrumentation beside the official instrumentation.)
 */
export class MysqlInstrumentation extends InstrumentationBase {
  constructor(private readonly playback: MysqlPlayback) {
    super(`${TRACER_NAME}/mysql`, '0.1.0', {});
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition('mysql2', MYSQL2_VERSIONS, (moduleExports: unknown) => moduleExports, () => undefined, [
      // The replacement class asks whether the door is still enabled: a module's export cannot be put back.
      new InstrumentationNodeModuleFile(
        'mysql2/lib/connection_config.js',
        MYSQL2_VERSIONS,
        (ConnectionConfig: MysqlConnectionConfigClass) => this.playback.connectionConfig(ConnectionConfig, () => this.isEnabled()),
        (ConnectionConfig: MysqlConnectionConfigClass | undefined) => ConnectionConfig,
      ),
      new InstrumentationNodeModuleFile(
        'mysql2/lib/connection.js',
        MYSQL2_VERSIONS,
        (Connection: MysqlConnectionClass) => {
          this.patch(Connection);
          return Connection;
        },
        (Connection: MysqlConnectionClass | undefined) => {
          if (!Connection) return;
          const proto = connectionPrototype(Connection);
          for (const name of ['query', 'execute', 'addCommand'] as const) this._unwrap(proto, name);
        },
      ),
    ]);
  }

  private patch(Connection: MysqlConnectionClass): void {
    const proto = connectionPrototype(Connection);
    const playback = this.playback;
    this._wrap(proto, 'query', (original) => playback.query(Connection, original as never) as MysqlConnectionPrototype['query']);
    this._wrap(proto, 'execute', (original) => playback.execute(original as never) as MysqlConnectionPrototype['execute']);
    this._wrap(proto, 'addCommand', () => playback.addCommand() as MysqlConnectionPrototype['addCommand']);
  }
}
