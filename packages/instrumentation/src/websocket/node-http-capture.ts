import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WireReader, type WireEvent } from './frame-codec.js';
import { MessageInflater, isCompressed } from './message-inflater.js';
import { patchUpgradeRequests } from './upgrade-requests.js';
import type { ConnectionRecorder, ObservedMessage, WebSocketCapture } from './websocket-capture.js';

/**
 * Capture for WebSocket clients that upgrade through node:http (`ws`, and what is built on it): the
 * handshake goes out as the app made it, and the door reads the connection's frames off its socket,
 * both ways, without holding anything back: what the server sends is read where the socket pushes
 * it, what the client sends where it writes it. Watching the socket rather than the client's API
 * works for every such client, whichever copy of it the app loaded. Returns the undo.
 */
export function attachNodeHttpWebSocketCapture(door: WebSocketCapture): () => void {
  return patchUpgradeRequests((opening, send) => {
    const request = send();
    watchHandshake(request, door.connect(opening));
    return request;
  });
}

/** Reads the handshake's outcome off the request's events, seen before the client's listeners run and without adding any. */
function watchHandshake(request: ClientRequest, recorder: ConnectionRecorder): void {
  const emit = request.emit;
  let settled = false;
  request.emit = function (this: ClientRequest, event: string | symbol, ...args: unknown[]): boolean {
    if (!settled && (event === 'upgrade' || event === 'response' || event === 'error' || event === 'close')) {
      settled = true;
      if (event === 'upgrade') {
        const [response, socket, head] = args as [IncomingMessage, Socket, Buffer];
        const headers = negotiated(response);
        recorder.opened(headers);
        tapConnection(socket, head, recorder, isCompressed(headers));
      } else if (event === 'response') {
        const status = (args[0] as IncomingMessage).statusCode ?? 0;
        recorder.failed(status, `Unexpected server response: ${status}`);
      } else recorder.failed(0, event === 'error' ? String((args[0] as Error | undefined)?.message ?? args[0]) : 'the handshake was closed');
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof request.emit;
}

function negotiated(response: IncomingMessage): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  for (const name of ['sec-websocket-protocol', 'sec-websocket-extensions']) {
    const value = response.headers[name];
    if (typeof value === 'string') headers.push([name, value]);
  }
  return headers;
}

/** Both directions of an upgraded socket, read into the connection's steps. */
function tapConnection(socket: Socket, head: Buffer, recorder: ConnectionRecorder, compressed: boolean): void {
  const fromServer = compressed ? new MessageInflater() : undefined;
  const fromClient = compressed ? new MessageInflater() : undefined;
  let serverClose: { code: number; reason: string } | undefined;
  let clientClosed = false;
  const server = new WireReader((event) => {
    if (event.kind === 'message') recorder.serverMessage(message(event, fromServer));
    else if (event.kind === 'close') serverClose = { code: event.code ?? 1005, reason: event.reason };
  });
  const client = new WireReader((event) => {
    if (event.kind === 'message') recorder.clientMessage(message(event, fromClient));
    else if (event.kind === 'close') {
      clientClosed = true;
      // The client's answer to the server's close is no step of the app's: the server closed.
      if (!serverClose) recorder.clientClose(event.code, event.reason);
    }
  });
  // The client reads what came with the handshake once its `open` listeners have run (and sent
  // what they send): read it then too, so it falls in the step the app saw it in.
  if (head.length > 0) process.nextTick(() => server.push(head));
  const push = socket.push;
  socket.push = function (this: Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && chunk !== undefined) server.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Uint8Array));
    return push.call(this, chunk, encoding);
  };
  const write = socket.write;
  socket.write = function (this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string') client.push(Buffer.from(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) client.push(chunk);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof socket.write;
  socket.once('close', () => {
    // What the app is told: the server's close code (1005 when it gave none), 1006 when none came.
    recorder.closed(serverClose?.code ?? 1006, serverClose?.reason ?? '', serverClose !== undefined && clientClosed);
  });
}

function message(event: Extract<WireEvent, { kind: 'message' }>, inflater: MessageInflater | undefined): ObservedMessage {
  return inflater ? inflater.message(event) : MessageInflater.plain(event);
}
