/** An outbound HTTP request as a traffic source saw it, in plain values. */
export interface OutboundRequest {
  /** The source's own ID for the call, which its response carries too. */
  requestId: string;
  method: string;
  url: string;
  headers: ReadonlyArray<readonly [string, string]>;
  /**
   * The bytes sent, if any; a promise when the source reads them from a copy that is still
   * arriving (the interceptor), so nothing waits for them on the app's path.
   */
  body: Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** The status line and headers of a response; its body follows through a {@link ResponseBodySink}. */
export interface OutboundResponseHead {
  requestId: string;
  status: number;
  statusText: string;
  headers: ReadonlyArray<readonly [string, string]>;
}

/** Where a source pushes the body of a response it saw, chunk by chunk, as the app receives it. */
export interface ResponseBodySink {
  write(bytes: Uint8Array): void;
  /** The body ended (no error), or was cut off by `error`. */
  end(error?: unknown): void;
  /** False once the sink wants no more chunks (a body over the size limit): the source may stop copying. */
  readonly wantsMore: boolean;
}

/** Who hears of outbound calls: the HTTP door's capture. */
export interface OutboundCallListener {
  request(request: OutboundRequest): void;
  /** The sink for the body, or undefined when the call is not being captured. */
  response(head: OutboundResponseHead): ResponseBodySink | undefined;
}

/**
 * Where capture learns of outbound calls: the socket-level interceptor (InterceptorTraffic, every
 * Node version) or Node's diagnostics channels (ChannelTraffic, Node 24.4+). Plain values cross
 * this line, not fetch's Request and Response: building those (and a web stream for every body)
 * cost the channel path more than reading the traffic did (BENCHMARKS.md, issue 19 capture).
 */
export interface OutboundTraffic {
  apply(): void;
  dispose(): void;
  /** Starts telling `listener` of calls; returns the function that stops it. */
  listen(listener: OutboundCallListener): () => void;
}
