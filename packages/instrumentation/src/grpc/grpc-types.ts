/** The parts of @grpc/grpc-js the door uses, structurally: the package is the app's, not a dependency. */

export type MetadataValue = string | Buffer;

export interface GrpcMetadata {
  add(key: string, value: MetadataValue): void;
  toJSON(): Record<string, MetadataValue[]>;
}

export interface GrpcStatus {
  code: number;
  details: string;
  metadata: GrpcMetadata;
}

/** What a client call's stubs describe a method by (grpc-js `ClientMethodDefinition`). */
export interface GrpcMethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

export interface GrpcListener {
  onReceiveMetadata(metadata: GrpcMetadata): void;
  onReceiveMessage(message: unknown): void;
  onReceiveStatus(status: GrpcStatus): void;
}

export interface GrpcMessageContext {
  callback?: (error?: Error) => void;
}

/** A call as interceptors see it (grpc-js `InterceptingCallInterface`). */
export interface GrpcCall {
  cancelWithStatus(code: number, details: string): void;
  getPeer(): string;
  start(metadata: GrpcMetadata, listener?: Partial<GrpcListener>): void;
  sendMessageWithContext(context: GrpcMessageContext, message: unknown): void;
  sendMessage(message: unknown): void;
  startRead(): void;
  halfClose(): void;
}

type Next<T> = (value: T) => void;

/** An interceptor's hooks on the way out (grpc-js `Requester`), each passing on with `next`. */
export interface GrpcRequester {
  start?(metadata: GrpcMetadata, listener: Partial<GrpcListener>, next: (metadata: GrpcMetadata, listener: GrpcListenerHooks) => void): void;
  sendMessage?(message: unknown, next: Next<unknown>): void;
  halfClose?(next: () => void): void;
  cancel?(next: () => void): void;
}

/** An interceptor's hooks on the way in (grpc-js `Listener`). */
export interface GrpcListenerHooks {
  onReceiveMetadata?(metadata: GrpcMetadata, next: Next<GrpcMetadata>): void;
  onReceiveMessage?(message: unknown, next: Next<unknown>): void;
  onReceiveStatus?(status: GrpcStatus, next: Next<GrpcStatus>): void;
}

export interface GrpcInterceptorOptions {
  method_definition: GrpcMethodDefinition;
}

export type GrpcInterceptor = (options: GrpcInterceptorOptions, nextCall: (options: GrpcInterceptorOptions) => GrpcCall) => GrpcCall;
export type GrpcInterceptorProvider = (definition: GrpcMethodDefinition) => GrpcInterceptor | undefined;

export interface GrpcInterceptorArgs {
  clientInterceptors: GrpcInterceptor[];
  clientInterceptorProviders: GrpcInterceptorProvider[];
  callInterceptors: GrpcInterceptor[];
  callInterceptorProviders: GrpcInterceptorProvider[];
}

export interface GrpcChannel {
  getTarget(): string;
}

export type GetInterceptingCall = (args: GrpcInterceptorArgs, definition: GrpcMethodDefinition, options: object, channel: GrpcChannel) => GrpcCall;

/** `@grpc/grpc-js/build/src/client-interceptors.js`: where every client call is assembled. */
export interface GrpcInterceptorsModule {
  getInterceptingCall: GetInterceptingCall;
  InterceptingCall: new (next: GrpcCall, requester?: GrpcRequester) => GrpcCall;
}
