export interface OutboundRequestEvent {
  request: Request;
  requestId: string;
}

export interface OutboundResponseEvent {
  /** A copy for the listener: reading it takes nothing from the app. */
  response: Response;
  requestId: string;
}

/**
 * Where capture learns of outbound calls: @mswjs/interceptors' HttpRequestInterceptor (socket
 * level, every Node version) or ChannelTraffic (Node's diagnostics channels, Node 24.4+).
 */
export interface OutboundTraffic {
  on(event: 'request', listener: (event: OutboundRequestEvent) => void): unknown;
  on(event: 'response', listener: (event: OutboundResponseEvent) => void): unknown;
  removeListener(event: 'request', listener: (event: OutboundRequestEvent) => void): unknown;
  removeListener(event: 'response', listener: (event: OutboundResponseEvent) => void): unknown;
}
