import { WebSocketInterceptor, type WebSocketClientConnection, type WebSocketData } from '@mswjs/interceptors/WebSocket';
import { connectLive } from './live-connections.js';
import type { WebSocketMessage } from './websocket-call.js';
import { protocolsOf } from './global-websocket-capture.js';
import { DIVERGED_CLOSE_CODE, divergedReason, type ConnectionPlayer, type WebSocketPlayback } from './websocket-playback.js';

/** The close code of a connection that never opened: "abnormal closure", as a refused connection gets. */
const NOT_OPENED_CLOSE_CODE = 1006;

/**
 * Playback for the global `WebSocket`, through the @mswjs/interceptors WebSocket interceptor: the
 * app's WebSocket is its mock, which opens without any connection, so nothing leaves the process.
 * The door plays the server's side from the tape (see {@link WebSocketPlayback}). Returns the undo.
 */
export function attachGlobalWebSocketPlayback(door: WebSocketPlayback): () => void {
  const interceptor = new WebSocketInterceptor();
  interceptor.apply();
  interceptor.on('connection', ({ client, server, info }) => {
    const player = door.open(client.url.href, protocolsOf(info.protocols));
    if (player instanceof Error) return fail(client, player, NOT_OPENED_CLOSE_CODE, divergedReason(player));
    // --then-live: a connection the tape does not hold goes to its server for real.
    if ('live' in player) return connectLive(player.live, () => server.connect());
    // The recorded connection did not open (refused, or an HTTP answer other than 101): nor does this one.
    if (!player.opens) return fail(client, new Error(player.handshake.error ?? ''), NOT_OPENED_CLOSE_CODE, '');
    play(client, player);
  });
  return () => interceptor.dispose();
}

function play(client: WebSocketClientConnection, player: ConnectionPlayer): void {
  const socket = client.socket;
  // The mock sets the first protocol asked for as it opens, and no extensions; the app gets what the server chose.
  for (const [property, header] of [['protocol', 'sec-websocket-protocol'], ['extensions', 'sec-websocket-extensions']] as const) {
    const value = player.handshake.headers.find(([name]) => name === header)?.[1] ?? '';
    Object.defineProperty(socket, property, { get: () => value, set: () => undefined, configurable: true, enumerable: true });
  }
  let closingFromTape = false;
  player.start({
    deliver: (message) => client.send(asReceived(message, socket.binaryType)),
    close: (code, reason, wasClean) => {
      closingFromTape = true;
      // A connection that closes uncleanly tells the app with an error first, as the WebSocket standard has it.
      if (!wasClean) socket.dispatchEvent(new Event('error'));
      close(client, code, reason, wasClean);
    },
    fail: (error) => {
      closingFromTape = true;
      fail(client, error, DIVERGED_CLOSE_CODE, divergedReason(error));
    },
  });
  client.addEventListener('message', (event) => player.send(sent(event.data)));
  client.addEventListener('close', (event) => {
    if (!closingFromTape) player.clientClose(event.code, event.reason);
  });
}

/** The app's error and close events for a connection the replay cannot give it: the error carries the divergence. */
function fail(client: WebSocketClientConnection, error: Error, code: number, reason: string): void {
  const event = Object.assign(new Event('error'), { error, message: error.message });
  client.socket.dispatchEvent(event);
  close(client, code, reason, false);
}

/**
 * Closes the mock as the server would have: `client.close()` always tells the app the close was
 * clean, so a connection that failed or dropped is closed through the mock's own internal close,
 * which takes `wasClean` (found by its symbol's name; without it, the close is said clean).
 */
function close(client: WebSocketClientConnection, code: number, reason: string, wasClean: boolean): void {
  const socket = client.socket as unknown as Record<symbol, unknown>;
  const internal = Object.getOwnPropertySymbols(Object.getPrototypeOf(socket) as object).find((symbol) => symbol.description === 'kClose');
  const closeWith = internal === undefined ? undefined : socket[internal];
  if (!wasClean && typeof closeWith === 'function') (closeWith as (code: number, reason: string, wasClean: boolean) => void).call(socket, code, reason, false);
  else client.close(code, reason);
}

/** A server message as the client would deliver it: text, or binary as the app's `binaryType` asks. */
function asReceived(message: WebSocketMessage, binaryType: BinaryType): WebSocketData {
  if (!message.binary) return message.text;
  const bytes = message.bytes;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return binaryType === 'blob' ? new Blob([buffer]) : buffer;
}

function sent(data: WebSocketData): WebSocketMessage | Promise<WebSocketMessage> {
  if (typeof data === 'string') return { binary: false, text: data };
  if (data instanceof Blob) return data.arrayBuffer().then((buffer) => ({ binary: true as const, bytes: new Uint8Array(buffer) }));
  if (data instanceof ArrayBuffer) return { binary: true, bytes: new Uint8Array(data.slice(0)) };
  return { binary: true, bytes: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}
