import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { TRACER_NAME } from '../tracer-name.js';
import type { MysqlCapture } from './mysql-capture.js';
import type { MysqlMethod } from './mysql-call.js';
import { connectionPrototype, MYSQL2_VERSIONS, type MysqlConnectionClass, type MysqlConnectionPrototype } from './mysql-types.js';

const METHODS: readonly MysqlMethod[] = ['query', 'execute'];

interface WrapperState {
  active: boolean;
  original: (...args: unknown[]) => unknown;
  wrapper: (...args: unknown[]) => unknown;
}

type WrapperStates = Partial<Record<MysqlMethod, WrapperState>>;

/**
 * Puts the door's capture wrapper on mysql2's `query` and `execute` as the app loads the library,
 * in the file the official instrumentation patches too. The wrapper is assigned as it is, not
 * with shimmer: the official patch unwraps a shimmer-wrapped method before it wraps, and would
 * remove it. Disabled, it stays where it is (another wrapper may have wrapped it) and passes calls through.
 */
export class MysqlCaptureInstrumentation extends InstrumentationBase {
  /** This instrumentation's wrappers on each prototype, found again across disable and enable. */
  private readonly states = new WeakMap<MysqlConnectionPrototype, WrapperStates>();

  constructor(private readonly capture: MysqlCapture) {
    super(`${TRACER_NAME}/mysql-capture`, '0.1.0', {});
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition('mysql2', MYSQL2_VERSIONS, (moduleExports: unknown) => moduleExports, () => undefined, [
      new InstrumentationNodeModuleFile(
        'mysql2/lib/connection.js',
        MYSQL2_VERSIONS,
        (Connection: MysqlConnectionClass) => {
          this.install(connectionPrototype(Connection));
          return Connection;
        },
        (Connection: MysqlConnectionClass | undefined) => {
          if (Connection) this.remove(connectionPrototype(Connection));
        },
      ),
    ]);
  }

  /** Public for the tests, which put it inside and outside the official wrapper. */
  install(proto: MysqlConnectionPrototype): void {
    let states = this.states.get(proto);
    if (!states) this.states.set(proto, (states = {}));
    for (const method of METHODS) {
      const existing = states[method];
      if (existing) {
        existing.active = true;
        continue;
      }
      const original = proto[method] as (...args: unknown[]) => unknown;
      const recorded = this.capture.wrap(method, original);
      const state: WrapperState = {
        active: true,
        original,
        wrapper: function (this: unknown, ...args: unknown[]) {
          return state.active ? recorded.apply(this as never, args) : original.apply(this, args);
        },
      };
      states[method] = state;
      proto[method] = state.wrapper;
    }
  }

  remove(proto: MysqlConnectionPrototype): void {
    const states = this.states.get(proto);
    if (!states) return;
    for (const method of METHODS) {
      const state = states[method];
      if (!state) continue;
      state.active = false;
      // Outermost: put the method back as it was. Wrapped by another since: stay, passing calls through.
      if (proto[method] === state.wrapper) {
        proto[method] = state.original;
        delete states[method];
      }
    }
  }
}
