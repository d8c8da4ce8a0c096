import { trace } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { Redactor } from '@tracetape/core';
import { CaptureRegistry } from '../capture/capture-registry.js';
import { CaptureSpanProcessor, type CaptureSpanProcessorOptions } from '../capture/capture-span-processor.js';
import { ChildProcessCapture } from '../child-process/child-process-capture.js';
import { childProcessTracer } from '../child-process/child-span.js';
import { installChildProcessDoor } from '../child-process/patch-starters.js';
import { attachDnsCapture } from '../dns/dns-capture.js';
import { GrpcCapture } from '../grpc/grpc-capture.js';
import { GrpcInstrumentation } from '../grpc/grpc-instrumentation.js';
import { ChannelTraffic, channelCaptureAvailable } from '../http/channel-traffic.js';
import { attachHttpCapture } from '../http/http-capture.js';
import { InterceptorTraffic } from '../http/interceptor-traffic.js';
import type { OutboundTraffic } from '../http/outbound-traffic.js';
import { attachHttp2Capture } from '../http2/http2-capture.js';
import { McpCapture } from '../mcp/mcp-capture.js';
import { McpInstrumentation } from '../mcp/mcp-instrumentation.js';
import { mcpTracer } from '../mcp/mcp-span.js';
import { MysqlCapture } from '../mysql/mysql-capture.js';
import { PostgresCapture } from '../postgres/postgres-capture.js';
import { redisCaptureInstrumentations } from '../redis/redis-capture.js';
import { TRACER_NAME } from '../tracer-name.js';
import type { CaptureOptions } from '../types.js';
import { attachWebSocketCapture } from '../websocket/websocket-door.js';

/** Capture mode for this process: reads every door's calls (HTTP, databases) and puts payloads on spans. */
export class CaptureSession {
  private readonly traffic: OutboundTraffic;
  private readonly registry = new CaptureRegistry();
  private readonly detach: () => void;
  private readonly detachChildProcesses: () => void;
  private readonly redactor: Redactor;

  constructor(options: CaptureOptions = {}) {
    this.redactor = new Redactor(options.redaction);
    const source = options.source ?? (channelCaptureAvailable() ? 'channels' : 'interceptor');
    this.traffic = source === 'channels' ? new ChannelTraffic() : new InterceptorTraffic();
    this.traffic.apply();
    const detachHttp = attachHttpCapture(this.traffic, this.registry, options);
    const detachHttp2 = attachHttp2Capture(this.registry, options);
    const detachDns = attachDnsCapture(this.registry, this.redactor);
    const detachWebSockets = attachWebSocketCapture(this.registry, this.redactor);
    this.detach = () => {
      detachWebSockets();
      detachDns();
      detachHttp2();
      detachHttp();
    };
    const childProcesses = new ChildProcessCapture(this.registry, this.redactor, childProcessTracer(), options.maxBodyBytes ? { maxOutputBytes: options.maxBodyBytes } : {});
    this.detachChildProcesses = installChildProcessDoor(childProcesses);
  }

  /**
   * The doors that hook a client library as the app loads it (databases): the official
   * OpenTelemetry instrumentations, which make their spans, with tracetape's hooks, which record
   * the calls on them. For the SDK to enable before the app loads the libraries.
   */
  instrumentations(): Instrumentation[] {
    const postgres = new PostgresCapture(this.registry, this.redactor);
    const mysql = new MysqlCapture(this.registry, this.redactor);
    return [
      new PgInstrumentation({ requestHook: postgres.requestHook, responseHook: postgres.responseHook }),
      ...mysql.instrumentations(),
      ...redisCaptureInstrumentations(this.registry, this.redactor),
      new McpInstrumentation(new McpCapture(this.registry, this.redactor, mcpTracer())),
      new GrpcInstrumentation(new GrpcCapture(this.registry, this.redactor, trace.getTracer(TRACER_NAME)), { transportOutsideInterception: true }),
    ];
  }

  /** The processor to put in front of the exporting processor. */
  spanProcessor(next: SpanProcessor, options?: CaptureSpanProcessorOptions): CaptureSpanProcessor {
    return new CaptureSpanProcessor(this.registry, next, { redactor: this.redactor, ...options });
  }

  /**
   * Calls whose capture is still held: waiting for a response (by request) or for their span to be
   * saved (by span). Bounded by the calls in flight, however long the app runs.
   */
  heldCaptures(): { requests: number; spans: number } {
    return this.registry.size;
  }

  /**
   * At exit, once every saved span is forwarded: the calls captured whose span was never saved
   * (still in flight, or traced by a tracer whose spans never reach tracetape), by trace.
   */
  unsavedCalls(): Map<string, number> {
    return this.registry.heldBySpanPerTrace();
  }

  /**
   * Records, as they stand, the calls that stay open when the process ends (WebSocket connections,
   * running children). For whoever flushes the spans as the process ends, just before that last
   * flush: on 'exit', and on a signal that ends the process, where no 'exit' event comes.
   */
  endOpenCalls(): void {
    this.registry.endOpenCalls();
  }

  dispose(): void {
    this.detachChildProcesses();
    this.detach();
    this.traffic.dispose();
  }
}
