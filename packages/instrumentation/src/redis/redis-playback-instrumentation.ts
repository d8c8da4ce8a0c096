import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { TRACER_NAME } from '../tracer-name.js';
import { RedisPlaybackUnsupportedError, STREAMING_ADVICE } from './redis-answers.js';
import type { IORedisPlayback } from './ioredis-playback.js';
import type { NodeRedisPlayback } from './node-redis-playback.js';
import { IOREDIS_MAJOR, IOREDIS_VERSIONS, NODE_REDIS_MAJOR, NODE_REDIS_VERSIONS, supportedVersion } from './redis-versions.js';
import { commonJsExports, type IORedisModule, type IORedisRespErrors, type NodeRedisClientPrototype, type NodeRedisErrors } from './redis-types.js';


type Prototype = Record<string | symbol, unknown>;

const UNPATCHED = 'in this replay its commands are neither answered from the tape nor sent, and its connection is refused.';

/**
 * Puts the Redis door's playback into `ioredis` and node-redis (`@redis/client`) as the app
 * requires or imports them: clients connect, send commands, run pipelines and transactions and
 * close against the tape, and open no socket (see ioredis-playback.ts and node-redis-playback.ts
 * for the patch points). What cannot be answered from a tape fails at once with
 * RedisPlaybackUnsupportedError: subscriptions and MONITOR, cluster and sentinel clients, and
 * node-redis transactions holding a command the official instrumentation makes no span for
 * (queued with select(), sendCommand() or a script), which capture could not record.
 *
 * A client version outside the supported range is left alone: its connection is then refused by
 * playback's socket guard, and a warning says why.
 */
export class RedisPlaybackInstrumentation extends InstrumentationBase {
  /** How to put back what each client's patch replaced, by module. */
  private readonly restore = new Map<string, Array<() => void>>();

  constructor(
    private readonly ioredis: IORedisPlayback,
    private readonly nodeRedis: NodeRedisPlayback,
  ) {
    super(`${TRACER_NAME}/redis`, '0.1.0', {});
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'ioredis',
        ['*'],
        (moduleExports: IORedisModule, version?: string) => {
          if (!supportedVersion('ioredis', version, IOREDIS_MAJOR, UNPATCHED)) return moduleExports;
          this.patchIORedis(commonJsExports(moduleExports));
          return moduleExports;
        },
        () => this.unpatch('ioredis'),
        [
          new InstrumentationNodeModuleFile(
            'ioredis/built/resp/errors.js',
            IOREDIS_VERSIONS,
            (moduleExports: IORedisRespErrors) => {
              this.ioredis.useRespErrors(moduleExports);
              return moduleExports;
            },
            () => undefined,
          ),
        ],
      ),
      new InstrumentationNodeModuleDefinition(
        '@redis/client',
        ['*'],
        (moduleExports: unknown, version?: string) => {
          supportedVersion('@redis/client', version, NODE_REDIS_MAJOR, UNPATCHED);
          return moduleExports;
        },
        () => this.unpatch('@redis/client'),
        [
          new InstrumentationNodeModuleFile(
            '@redis/client/dist/lib/errors.js',
            NODE_REDIS_VERSIONS,
            (moduleExports: NodeRedisErrors) => {
              this.nodeRedis.useErrors(moduleExports);
              return moduleExports;
            },
            () => undefined,
          ),
          file('@redis/client/dist/lib/client/index.js', (proto) => this.patchNodeRedisClient(proto as unknown as NodeRedisClientPrototype)),
          file('@redis/client/dist/lib/client/multi-command.js', (proto) => {
            const batch = 'a node-redis MULTI or pipeline with a command queued by';
            this.replace(NODE_REDIS, proto, 'SELECT', this.nodeRedis.unsupported(`${batch} select()`, 'Select the database on the client before multi().'));
            this.replace(NODE_REDIS, proto, 'sendCommand', this.nodeRedis.unsupported(`${batch} sendCommand()`, 'Queue the command with its typed method (multi().get(…)).'));
          }),
          file('@redis/client/dist/lib/multi-command.js', (proto) => {
            this.replace(NODE_REDIS, proto, 'addScript', this.nodeRedis.unsupported('a node-redis MULTI or pipeline with a Lua script', 'Run the script on the client, outside multi().'));
          }),
          file('@redis/client/dist/lib/cluster/index.js', (proto) => {
            this.replace(NODE_REDIS, proto, 'connect', this.nodeRedis.unsupportedAsync('a node-redis cluster client', 'Record and replay with createClient() on one node.'));
          }),
          file('@redis/client/dist/lib/sentinel/index.js', (proto) => {
            this.replace(NODE_REDIS, proto, 'connect', this.nodeRedis.unsupportedAsync('a node-redis sentinel client', 'Record and replay with createClient() on the master.'));
          }),
        ],
      ),
    ];
  }

  private patchIORedis(ioredis: IORedisModule): void {
    const proto = ioredis.prototype as unknown as Prototype;
    if (!this.replace(IOREDIS, proto, 'connect', this.ioredis.connect())) return;
    this.replace(IOREDIS, proto, 'sendCommand', this.ioredis.sendCommand(ioredis));
    this.replace(IOREDIS, proto, 'disconnect', this.ioredis.disconnect());
    const cluster = ioredis.Cluster?.prototype as Prototype | undefined;
    if (cluster) {
      this.replace(IOREDIS, cluster, 'connect', () => Promise.reject(new RedisPlaybackUnsupportedError('an ioredis Cluster', 'Record and replay with new Redis() on one node.')));
    }
  }

  private patchNodeRedisClient(proto: NodeRedisClientPrototype): void {
    const target = proto as unknown as Prototype;
    const playback = this.nodeRedis;
    if (!this.replace(NODE_REDIS, target, 'connect', playback.connect())) return;
    this.replace(NODE_REDIS, target, 'sendCommand', playback.sendCommand());
    this.replace(NODE_REDIS, target, '_executeMulti', playback.executeMulti());
    this.replace(NODE_REDIS, target, '_executePipeline', playback.executePipeline());
    // `quit = this.QUIT` and the like are instance fields, read from the prototype as each client is made.
    this.replace(NODE_REDIS, target, 'QUIT', playback.quit());
    this.replace(NODE_REDIS, target, 'close', playback.close());
    this.replace(NODE_REDIS, target, 'destroy', playback.destroy());
    this.replace(NODE_REDIS, target, 'reset', playback.reset());
    this.replace(NODE_REDIS, target, 'SELECT', playback.select());
    for (const name of ['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']) {
      this.replace(NODE_REDIS, target, name, playback.unsupportedAsync(`a node-redis ${name} (the messages it receives are not recorded)`, STREAMING_ADVICE));
    }
    this.replace(NODE_REDIS, target, 'MONITOR', playback.unsupportedAsync('a node-redis MONITOR (the commands it streams are not recorded)', STREAMING_ADVICE));
    this.replaceGetter(NODE_REDIS, target, 'isOpen', playback.isOpen());
    this.replaceGetter(NODE_REDIS, target, 'isReady', playback.isReady());
  }

  /**
   * Puts `replacement` where `name` was, once (a module can come through both `require` and
   * `import`); false when it was already there or there is no such method.
   */
  private replace(module: string, proto: Prototype, name: string, replacement: (...args: never[]) => unknown): boolean {
    const original = Object.getOwnPropertyDescriptor(proto, name);
    if (!original || typeof original.value !== 'function' || (original.value as { [OURS]?: boolean })[OURS]) return false;
    Object.defineProperty(proto, name, { ...original, value: Object.assign(replacement, { [OURS]: true }) });
    this.undoLater(module, () => Object.defineProperty(proto, name, original));
    return true;
  }

  private replaceGetter(module: string, proto: Prototype, name: string, getter: (this: never) => unknown): void {
    const original = Object.getOwnPropertyDescriptor(proto, name);
    if (!original || typeof original.get !== 'function' || (original.get as { [OURS]?: boolean })[OURS]) return;
    Object.defineProperty(proto, name, { ...original, get: Object.assign(getter, { [OURS]: true }) });
    this.undoLater(module, () => Object.defineProperty(proto, name, original));
  }

  private undoLater(module: string, undo: () => void): void {
    const undos = this.restore.get(module) ?? [];
    undos.push(undo);
    this.restore.set(module, undos);
  }

  private unpatch(module: string): void {
    for (const undo of (this.restore.get(module) ?? []).reverse()) undo();
    this.restore.delete(module);
  }
}

const OURS = Symbol('tracetape.redis.playback');
const IOREDIS = 'ioredis';
const NODE_REDIS = '@redis/client';

/** A module file whose `default` export is a class: `patch` gets its prototype. */
function file(name: string, patch: (proto: Prototype) => void): InstrumentationNodeModuleFile {
  return new InstrumentationNodeModuleFile(
    name,
    NODE_REDIS_VERSIONS,
    (moduleExports: { default?: { prototype?: Prototype } }) => {
      const proto = moduleExports.default?.prototype;
      if (proto) patch(proto);
      return moduleExports;
    },
    // The module's own unpatch puts back everything its files' patches replaced.
    () => undefined,
  );
}
