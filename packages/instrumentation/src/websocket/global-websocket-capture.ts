import type { WebSocketCapture, ConnectionRecorder, ObservedMessage } from './websocket-capture.js';

type WebSocketClass = typeof globalThis.WebSocket;
type SendData = Parameters<WebSocket['send']>[0];

/**
 * Capture for the global `WebSocket` (Node's, undici's): the connection is the app's own, to the
 * real server, and the door only watches it, so the app sees exactly what it would have (when it
 * opens, the subprotocol the server chose, a refused connection's error). The @mswjs/interceptors
 * WebSocket interceptor is not used here: watching through it would make the connection a mock that
 * opens before the server answers. Construction goes through a Proxy of the class (for the URL and
 * the protocols asked for); `send` and `close` are wrapped on the prototype; what the server says
 * is read from listeners added before the app's own. Returns the undo.
 */
export function attachGlobalWebSocketCapture(door: WebSocketCapture): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
  const Original = globalThis.WebSocket as WebSocketClass | undefined;
  if (!descriptor || !Original || !descriptor.configurable) return () => undefined;
  const recorders = new WeakMap<WebSocket, ConnectionRecorder>();
  const proxy = new Proxy(Original, {
    construct(target, args: unknown[], newTarget: (new (...args: never[]) => object)) {
      const socket = Reflect.construct(target, args, newTarget) as WebSocket;
      recorders.set(socket, watch(socket, door, protocolsOf(args[1])));
      return socket;
    },
  });
  const proto = Original.prototype;
  const { send, close } = proto;
  proto.send = function (this: WebSocket, data: SendData): void {
    const recorder = recorders.get(this);
    const open = this.readyState === Original.OPEN;
    send.call(this, data);
    // Only a send that went on the wire: one while CONNECTING throws above, one while closing is dropped.
    if (recorder && open) recorder.clientMessage(observed(data));
  };
  proto.close = function (this: WebSocket, code?: number, reason?: string): void {
    const recorder = recorders.get(this);
    const open = this.readyState === Original.OPEN;
    close.call(this, code, reason);
    if (recorder && open) recorder.clientClose(code, reason);
  };
  Object.defineProperty(globalThis, 'WebSocket', { ...descriptor, value: proxy });
  return () => {
    proto.send = send;
    proto.close = close;
    Object.defineProperty(globalThis, 'WebSocket', descriptor);
  };
}

function watch(socket: WebSocket, door: WebSocketCapture, protocols: string[]): ConnectionRecorder {
  const recorder = door.connect({ url: socket.url, protocols, headers: [] });
  let opened = false;
  let error: string | undefined;
  socket.addEventListener('open', () => {
    opened = true;
    const headers: Array<[string, string]> = [];
    if (socket.protocol) headers.push(['sec-websocket-protocol', socket.protocol]);
    if (socket.extensions) headers.push(['sec-websocket-extensions', socket.extensions]);
    recorder.opened(headers);
  });
  socket.addEventListener('message', (event: MessageEvent<unknown>) => recorder.serverMessage(observed(event.data as SendData)));
  socket.addEventListener('error', (event: Event) => {
    error = errorText(event);
  });
  socket.addEventListener('close', (event: CloseEvent) => {
    if (!opened) recorder.failed(0, error ?? `closed ${event.code} before it opened`);
    else recorder.closed(event.code, event.reason, event.wasClean);
  });
  return recorder;
}

/** What a message holds, as bytes or text; a Blob is read later (its place is kept). */
function observed(data: SendData | unknown): ObservedMessage {
  if (typeof data === 'string') return { binary: false, text: data };
  if (data instanceof Blob) return data.arrayBuffer().then((buffer) => ({ binary: true as const, bytes: new Uint8Array(buffer) }));
  if (data instanceof ArrayBuffer) return { binary: true, bytes: new Uint8Array(data.slice(0)) };
  if (ArrayBuffer.isView(data)) return { binary: true, bytes: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
  return { binary: false, text: String(data) };
}

/** The protocols a `new WebSocket(url, protocols)` asked for (a string, a list, or undici's options object). */
export function protocolsOf(given: unknown): string[] {
  if (typeof given === 'string') return [given];
  if (Array.isArray(given)) return given.map(String);
  if (given !== null && typeof given === 'object' && 'protocols' in given) return protocolsOf((given as { protocols: unknown }).protocols);
  return [];
}

function errorText(event: Event): string {
  const { error, message } = event as Event & { error?: unknown; message?: unknown };
  if (error instanceof Error) return error.message;
  return typeof message === 'string' && message ? message : 'the connection failed';
}
