import diagnostics from 'node:diagnostics_channel';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { TRACER_NAME } from '../tracer-name.js';
import type { IORedisCapture } from './ioredis-capture.js';
import type { NodeRedisCapture } from './node-redis-capture.js';
import { commonJsExports, type IORedisModule } from './redis-types.js';
import { IOREDIS_MAJOR, NODE_REDIS_MAJOR, NODE_REDIS_VERSIONS, supportedVersion } from './redis-versions.js';

const UNRECORDED = 'its commands are not recorded (they still run), and a replay will refuse its connection.';
const NODE_REDIS_CHANNELS = ['node-redis:command', 'node-redis:batch'];

type AddCommand = (this: unknown, args: unknown[], ...rest: unknown[]) => unknown;
interface AddCommandPrototype {
  addCommand: AddCommand;
}

/**
 * What the Redis door's capture reads beside the official instrumentations' spans and hooks (see
 * ioredis-capture.ts and node-redis-capture.ts for why): methods one layer below the ones those
 * patch, so that neither unwraps the other whatever order they load in.
 *
 * - ioredis: `Command#setReplyContext`, which `Redis#sendCommand` calls first with the connection
 *   state (database, handshake phase).
 * - node-redis: `RedisCommandsQueue#addCommand` (every command on its way to the wire, with the
 *   promise of its raw reply), `RedisMultiCommand#addCommand` (a MULTI or pipeline member as it is
 *   queued, inside its span), and the client's tracing channels (server and database).
 */
export class RedisCaptureInstrumentation extends InstrumentationBase {
  private readonly channelHandlers: diagnostics.TracingChannelSubscribers<object>;
  private subscribed = false;

  constructor(
    private readonly ioredis: IORedisCapture,
    private readonly nodeRedis: NodeRedisCapture,
  ) {
    super(`${TRACER_NAME}/redis-capture`, '0.1.0', {});
    const ignore = (): void => undefined;
    this.channelHandlers = { start: nodeRedis.channelStart, end: nodeRedis.channelEnd, asyncStart: ignore, asyncEnd: ignore, error: ignore };
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'ioredis',
        ['*'],
        (moduleExports: IORedisModule, version?: string) => {
          if (!supportedVersion('ioredis', version, IOREDIS_MAJOR, UNRECORDED)) return moduleExports;
          const proto = commonJsExports(moduleExports).Command?.prototype;
          if (proto && typeof proto.setReplyContext === 'function' && !this.isWrappedByUs(proto.setReplyContext)) {
            const capture = this.ioredis;
            this._wrap(proto, 'setReplyContext', (original) =>
              markOurs(function setReplyContext(this: { args?: unknown }, state: unknown) {
                if (this.args && typeof this.args === 'object') capture.commandSent(this.args, state as Parameters<IORedisCapture['commandSent']>[1]);
                return original!.call(this, state);
              }),
            );
          }
          return moduleExports;
        },
        (moduleExports: IORedisModule | undefined) => {
          const proto = moduleExports && commonJsExports(moduleExports).Command?.prototype;
          if (proto) this._unwrap(proto, 'setReplyContext');
        },
      ),
      new InstrumentationNodeModuleDefinition(
        '@redis/client',
        ['*'],
        (moduleExports: unknown, version?: string) => {
          supportedVersion('@redis/client', version, NODE_REDIS_MAJOR, UNRECORDED);
          return moduleExports;
        },
        () => undefined,
        [this.commandQueueFile(), this.multiCommandFile()],
      ),
    ];
  }

  /** node-redis's command queue: every command reaches it, with the promise of its raw reply. */
  private commandQueueFile(): InstrumentationNodeModuleFile {
    return new InstrumentationNodeModuleFile(
      '@redis/client/dist/lib/client/commands-queue.js',
      NODE_REDIS_VERSIONS,
      (moduleExports: { default?: AddCommandPrototypeHolder }) => {
        const proto = moduleExports.default?.prototype;
        if (proto && !this.isWrappedByUs(proto.addCommand)) {
          const capture = this.nodeRedis;
          this._wrap(proto, 'addCommand', (original) =>
            markOurs(function addCommand(this: unknown, args: unknown[], ...rest: unknown[]) {
              const reply = original.call(this, args, ...rest);
              if (Array.isArray(args) && reply instanceof Promise) capture.commandQueued(args, rest[0] as { chainId?: symbol } | undefined, reply);
              return reply;
            }),
          );
        }
        this.subscribeChannels();
        return moduleExports;
      },
      (moduleExports: { default?: AddCommandPrototypeHolder } | undefined) => {
        const proto = moduleExports?.default?.prototype;
        if (proto) this._unwrap(proto, 'addCommand');
        this.unsubscribeChannels();
      },
    );
  }

  /** The queue of a MULTI or pipeline being built: a member arrives inside the span made for it. */
  private multiCommandFile(): InstrumentationNodeModuleFile {
    return new InstrumentationNodeModuleFile(
      '@redis/client/dist/lib/multi-command.js',
      NODE_REDIS_VERSIONS,
      (moduleExports: { default?: AddCommandPrototypeHolder }) => {
        const proto = moduleExports.default?.prototype;
        if (proto && !this.isWrappedByUs(proto.addCommand)) {
          const capture = this.nodeRedis;
          this._wrap(proto, 'addCommand', (original) =>
            markOurs(function addCommand(this: unknown, args: unknown[], ...rest: unknown[]) {
              if (Array.isArray(args)) capture.memberQueued(args);
              return original.call(this, args, ...rest);
            }),
          );
        }
        return moduleExports;
      },
      (moduleExports: { default?: AddCommandPrototypeHolder } | undefined) => {
        const proto = moduleExports?.default?.prototype;
        if (proto) this._unwrap(proto, 'addCommand');
      },
    );
  }

  override disable(): void {
    super.disable();
    this.unsubscribeChannels();
  }

  private subscribeChannels(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    for (const name of NODE_REDIS_CHANNELS) diagnostics.tracingChannel(name).subscribe(this.channelHandlers);
  }

  private unsubscribeChannels(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    for (const name of NODE_REDIS_CHANNELS) diagnostics.tracingChannel(name).unsubscribe(this.channelHandlers);
  }

  /** A module can come through both `require` and `import`: it is patched once. */
  private isWrappedByUs(method: unknown): boolean {
    return typeof method === 'function' && (method as { [OURS]?: boolean })[OURS] === true;
  }
}

interface AddCommandPrototypeHolder {
  prototype: AddCommandPrototype;
}

const OURS = Symbol('tracetape.redis.capture');

function markOurs<T extends object>(fn: T): T {
  return Object.assign(fn, { [OURS]: true });
}
