import { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { Redactor, TapeMatcher, type BlockedConnection, type ReplayReport } from '@tracetape/core';
import { ChildProcessPlayback } from '../child-process/child-process-playback.js';
import { childProcessTracer } from '../child-process/child-span.js';
import { installChildProcessDoor } from '../child-process/patch-starters.js';
import { attachDnsPlayback } from '../dns/dns-playback.js';
import { GrpcInstrumentation } from '../grpc/grpc-instrumentation.js';
import { GrpcPlayback } from '../grpc/grpc-playback.js';
import { attachDispatcherPlayback } from '../http/dispatcher-playback.js';
import { createHttpAnswerer } from '../http/http-answer.js';
import { attachHttpPlayback } from '../http/http-playback.js';
import { attachHttp2Guard } from '../http2/http2-guard.js';
import { attachHttp2Playback } from '../http2/http2-playback.js';
import { McpInstrumentation } from '../mcp/mcp-instrumentation.js';
import { McpPlayback } from '../mcp/mcp-playback.js';
import { mcpTracer } from '../mcp/mcp-span.js';
import { MysqlInstrumentation } from '../mysql/mysql-instrumentation.js';
import { MysqlPlayback } from '../mysql/mysql-playback.js';
import { PostgresInstrumentation } from '../postgres/postgres-instrumentation.js';
import { PostgresPlayback } from '../postgres/postgres-playback.js';
import { redisPlaybackInstrumentation } from '../redis/redis-playback.js';
import { CommandListeners } from '../playback/command-listeners.js';
import { CompletionOrder } from '../playback/completion-order.js';
import { acquirePlaybackLock } from '../playback/playback-lock.js';
import { attachSocketGuard } from '../playback/socket-guard.js';
import type { PlaybackOptions } from '../types.js';
import { attachUdpGuard } from '../udp/udp-guard.js';
import { attachWebSocketPlayback } from '../websocket/websocket-door.js';

/** Playback mode for this process: every door's calls are answered from the tape, or blocked. */
export class PlaybackSession {
  private readonly interceptor = new HttpRequestInterceptor();
  private readonly matcher: TapeMatcher;
  /** One order for every door: an HTTP answer may have to wait for a query that finished first. */
  private readonly order: CompletionOrder;
  private readonly options: PlaybackOptions;
  private readonly detach: () => void;
  private readonly detachGuard: () => void;
  private readonly detachChildProcesses: () => void;
  private readonly blockedConnections: BlockedConnection[] = [];
  private readonly releaseLock: () => void;
  private endedAsRecorded: ReplayReport['endedAsRecorded'];

  /** Throws PlaybackAlreadyActiveError while another session of this process is not disposed. */
  constructor(options: PlaybackOptions) {
    this.options = options;
    this.matcher = new TapeMatcher(options.tape, { allowModelDrift: options.allowModelDrift ?? [] });
    const endAsRecorded = options.endAsRecorded;
    this.order = new CompletionOrder(
      options.tape.entries,
      undefined,
      endAsRecorded &&
        ((signal, step) => {
          this.endedAsRecorded = { signal, step };
          endAsRecorded(signal);
        }),
    );
    this.releaseLock = acquirePlaybackLock();
    try {
      this.interceptor.apply();
      const answerHttp = createHttpAnswerer(this.matcher, this.order, options);
      const detachSocketHttp = attachHttpPlayback(this.interceptor, answerHttp);
      // fetch is answered before it reaches a socket. Not under --then-live: the calls the tape
      // answers are recorded again there, and their spans come from undici's own request.
      const detachFetch = options.thenLive ? () => {} : attachDispatcherPlayback(answerHttp);
      const detachHttp = (): void => {
        detachFetch();
        detachSocketHttp();
      };
      const detachDns = attachDnsPlayback(this.matcher, this.order, new Redactor(options.redaction), options);
      const detachWebSockets = attachWebSocketPlayback(this.matcher, this.order, new Redactor(options.redaction), options);
      const detachHttp2 = attachHttp2Playback(this.matcher, this.order, options);
      this.detach = () => {
        detachHttp2();
        detachWebSockets();
        detachDns();
        detachHttp();
      };
      // --then-live lets what the tape cannot answer go out; raw sockets and datagrams included.
      // A live-read host's reads pass the HTTP door as they would for a live host; its sockets must open.
      const listeners = options.commandListenersFile ? new CommandListeners(options.commandListenersFile) : undefined;
      const guard = {
        liveHosts: [...(options.liveHosts ?? []), ...(options.liveReadHosts ?? [])],
        onBlocked: (connection: BlockedConnection, error: Error) => {
          this.blockedConnections.push(connection);
          options.onDivergence?.(error);
        },
        ...(listeners ? { isCommandListener: (host: string, port: number | undefined) => listeners.has(host, port) } : {}),
      };
      const guards = options.thenLive ? [] : [attachSocketGuard(guard), attachHttp2Guard(guard), attachUdpGuard(guard)];
      if (listeners) guards.push(listeners.watch());
      this.detachGuard = () => guards.forEach((detach) => detach());
      const childProcesses = new ChildProcessPlayback(this.matcher, this.order, new Redactor(options.redaction), childProcessTracer(), options);
      this.detachChildProcesses = installChildProcessDoor(childProcesses);
    } catch (error) {
      this.interceptor.dispose();
      this.releaseLock();
      throw error;
    }
  }

  /** The doors that hook a client library as the app loads it (databases): for the SDK to enable. */
  instrumentations(): Instrumentation[] {
    const redactor = new Redactor(this.options.redaction);
    return [
      new PostgresInstrumentation(new PostgresPlayback(this.matcher, this.order, redactor, this.options)),
      new MysqlInstrumentation(new MysqlPlayback(this.matcher, this.order, redactor, this.options)),
      redisPlaybackInstrumentation(this.matcher, this.order, redactor, this.options),
      new McpInstrumentation(new McpPlayback(this.matcher, this.order, redactor, mcpTracer(), this.options)),
      new GrpcInstrumentation(new GrpcPlayback(this.matcher, this.order, redactor, this.options), { transportOutsideInterception: true }),
    ];
  }

  report(): ReplayReport {
    return {
      ...this.matcher.report(),
      ...(this.blockedConnections.length > 0 ? { blockedConnections: [...this.blockedConnections] } : {}),
      ...(this.endedAsRecorded ? { endedAsRecorded: this.endedAsRecorded } : {}),
    };
  }

  dispose(): void {
    this.order.dispose();
    this.detachChildProcesses();
    this.detachGuard();
    this.detach();
    this.interceptor.dispose();
    this.releaseLock();
  }
}
