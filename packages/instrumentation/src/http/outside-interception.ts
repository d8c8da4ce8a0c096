/**
 * Runs `connect` so that the first socket it connects (synchronously or after awaits) is not held by
 * the socket interceptor of @mswjs/interceptors: the hook the interceptors use for their own
 * passthrough connections (a global, set by `@mswjs/interceptors/net`, shared by every copy of it).
 * For the sockets of a door that records above the wire (gRPC, HTTP/2), which the HTTP source
 * cannot parse and, once an HTTP/2 session owns them, could not pass through either.
 */
export function outsideInterception<T>(connect: () => T): T {
  const context = (globalThis as { __MSW_INTERNAL_CONNECTION_CONTEXT?: { run<R>(callback: () => R): R } }).__MSW_INTERNAL_CONNECTION_CONTEXT;
  return context ? context.run(connect) : connect();
}
