import { createRequire } from 'node:module';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { outsideInterception } from '../http/outside-interception.js';
import { TRACER_NAME } from '../tracer-name.js';
import { targetName } from './grpc-call.js';
import { withInnermost, type GrpcDoor } from './grpc-door.js';
import type { GetInterceptingCall, GrpcInterceptorsModule } from './grpc-types.js';

/** The grpc-js versions whose call assembly the door knows. */
const SUPPORTED_VERSIONS = ['>=1.8.0 <2'];
const INTERCEPTORS_FILE = /[\\/]@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/]client-interceptors\.js$/;
const TRANSPORT_FILE = /[\\/]@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/]transport\.js$/;

type TcpConnect = (...args: unknown[]) => unknown;
interface GrpcTransportModule {
  Http2SubchannelConnector: { prototype: { tcpConnect: TcpConnect } };
}

export interface GrpcInstrumentationOptions {
  /**
   * The channel's own sockets go straight out, not through the socket interceptor: the door
   * records and answers calls above them (in playback only a live host's calls reach a socket),
   * and an HTTP/2 session cannot be passed through once it owns its socket.
   */
  transportOutsideInterception?: boolean;
}

/**
 * Puts the gRPC door (capture or playback) into `@grpc/grpc-js` as the app loads it. Every client
 * call, from a generated stub or `makeUnaryRequest` and its kin, is assembled by
 * `getInterceptingCall`, which the client reads from its module at each call: wrapping it there
 * reaches every client, however its stubs were made, and lets the door sit below the app's own
 * interceptors through grpc-js's public interceptor API.
 *
 * The files are found in the module cache once the package has loaded, not hooked by path: a
 * CommonJS package that an ES module imports loads its own files through the ESM loader, where
 * per-file require hooks never see them.
 */
export class GrpcInstrumentation extends InstrumentationBase {
  readonly moduleName = '@grpc/grpc-js';
  private readonly patched = new Set<object>();

  constructor(
    private readonly door: GrpcDoor,
    private readonly options: GrpcInstrumentationOptions = {},
  ) {
    super(`${TRACER_NAME}/grpc`, '0.1.0', {});
  }

  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      '@grpc/grpc-js',
      SUPPORTED_VERSIONS,
      (moduleExports: unknown) => {
        this.patchLoadedFiles();
        return moduleExports;
      },
      () => this.unpatchFiles(),
    );
  }

  private patchLoadedFiles(): void {
    const cache = createRequire(import.meta.url).cache;
    for (const [filename, loaded] of Object.entries(cache)) {
      const exports: unknown = loaded?.exports;
      if (!exports || typeof exports !== 'object' || this.patched.has(exports)) continue;
      if (INTERCEPTORS_FILE.test(filename)) this.patchInterceptors(exports as GrpcInterceptorsModule);
      else if (TRANSPORT_FILE.test(filename) && this.options.transportOutsideInterception) this.patchTransport(exports as GrpcTransportModule);
      else continue;
      this.patched.add(exports);
    }
  }

  private unpatchFiles(): void {
    for (const exports of this.patched) {
      if ('getInterceptingCall' in exports) this._unwrap(exports as GrpcInterceptorsModule, 'getInterceptingCall');
      if ('Http2SubchannelConnector' in exports) this._unwrap((exports as GrpcTransportModule).Http2SubchannelConnector.prototype, 'tcpConnect');
    }
    this.patched.clear();
  }

  private patchInterceptors(module: GrpcInterceptorsModule): void {
    const door = this.door;
    this._wrap(module, 'getInterceptingCall', (original: GetInterceptingCall) =>
      function getInterceptingCall(this: unknown, args, definition, options, channel) {
        const hooks = door.forCall(definition, targetName(channel.getTarget()), module);
        return original.call(this, withInnermost(args, hooks.interceptor), hooks.definition, options, channel);
      } as GetInterceptingCall,
    );
  }

  private patchTransport(module: GrpcTransportModule): void {
    this._wrap(module.Http2SubchannelConnector.prototype, 'tcpConnect', (original: TcpConnect) =>
      function tcpConnect(this: unknown, ...args: unknown[]) {
        return outsideInterception(() => original.apply(this, args));
      } as TcpConnect,
    );
  }
}
