import type { GrpcInterceptor, GrpcInterceptorArgs, GrpcInterceptorsModule, GrpcMethodDefinition } from './grpc-types.js';

/** What capture or playback puts into one client call. */
export interface GrpcCallHooks {
  /** The method definition the call is assembled with (capture wraps the deserializer to keep the bytes). */
  definition: GrpcMethodDefinition;
  /** Runs innermost, below the app's own interceptors: they see replayed answers as they saw real ones. */
  interceptor: GrpcInterceptor;
}

export interface GrpcDoor {
  forCall(definition: GrpcMethodDefinition, target: string, interceptors: GrpcInterceptorsModule): GrpcCallHooks;
}

/**
 * The interceptor lists with `interceptor` last, in the list grpc-js will use (call interceptors
 * replace the client's; interceptors and providers cannot be mixed in one list).
 */
export function withInnermost(args: GrpcInterceptorArgs, interceptor: GrpcInterceptor): GrpcInterceptorArgs {
  const useCall = args.callInterceptors.length > 0 || args.callInterceptorProviders.length > 0;
  const interceptors = useCall ? args.callInterceptors : args.clientInterceptors;
  const providers = useCall ? args.callInterceptorProviders : args.clientInterceptorProviders;
  const added =
    providers.length > 0
      ? { interceptors, providers: [...providers, () => interceptor] }
      : { interceptors: [...interceptors, interceptor], providers };
  return useCall
    ? { ...args, callInterceptors: added.interceptors, callInterceptorProviders: added.providers }
    : { ...args, clientInterceptors: added.interceptors, clientInterceptorProviders: added.providers };
}
