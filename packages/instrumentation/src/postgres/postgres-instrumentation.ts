import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { TRACER_NAME } from '../tracer-name.js';
import type { PostgresPlayback } from './postgres-playback.js';
import type { PgModule } from './pg-types.js';

/** The `pg` versions the door knows: 8.x, whose Client API it patches. */
const SUPPORTED_VERSIONS = ['>=8.0.0 <9'];

/**
 * Puts the postgres door's playback into `pg` as the app requires or imports it: clients connect,
 * query and end against the tape. (Capture needs no patch of its own: it rides the official
 * PgInstrumentation's hooks.)
 */
export class PostgresInstrumentation extends InstrumentationBase {
  /** The package this door patches: what replayTape's `clients` option names it by. */
  readonly moduleName = 'pg';

  constructor(private readonly playback: PostgresPlayback) {
    super(`${TRACER_NAME}/postgres`, '0.1.0', {});
  }

  /**
   * Patches a `pg` module the app already holds, for code that did not load it through Node's
   * `require`/`import` hooks (a test runner's own module loader). Returns the undo.
   */
  patchLoaded(moduleExports: unknown): () => void {
    const pg = moduleExports as PgModule;
    this.patch(pg);
    return () => this.unpatch(pg);
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      'pg',
      SUPPORTED_VERSIONS,
      (moduleExports: PgModule) => {
        this.patch(moduleExports);
        return moduleExports;
      },
      (moduleExports: PgModule | undefined) => {
        if (moduleExports) this.unpatch(moduleExports);
      },
    );
  }

  private unpatch(pg: PgModule): void {
    for (const name of ['query', 'connect', 'end'] as const) this._unwrap(pg.Client.prototype, name);
  }

  private patch(pg: PgModule): void {
    const proto = pg.Client.prototype;
    const playback = this.playback;
    this._wrap(proto, 'connect', () => playback.connect() as PgModule['Client']['prototype']['connect']);
    this._wrap(proto, 'query', () => playback.query(pg) as PgModule['Client']['prototype']['query']);
    this._wrap(proto, 'end', () => playback.end() as PgModule['Client']['prototype']['end']);
  }
}
