import {
  canonicalJson,
  normalizeUrl,
  parseJsonExact,
  type EncodedBody,
  type NormalizedRequest,
  type RecordedResponse,
  type Redactor,
  type RequestKeyRules,
  type ResponseChunk,
} from '@tracetape/core';
import { utf8Body } from '../database/json-document.js';

/**
 * One message of a connection, in either direction: text, or binary bytes. What the frames of a
 * message carried, reassembled (and inflated, for a compressed connection): what the app sent or got.
 */
export type WebSocketMessage = { binary: false; text: string } | { binary: true; bytes: Uint8Array };

/**
 * A step of a connection, as the tape keys it. A connection is cut where the app acts:
 * - `open`: the connection, answered with the handshake and the server messages that came before the app sent anything;
 * - `send`: a message the app sent, answered with the server messages that came after it, until the app acted again;
 * - `close`: the app closing the connection, answered with what came after (the server's closing handshake).
 *
 * `connection` numbers the connections the process opened to the same URL (1, 2…) and `frame` the
 * app's sends and close on one connection (1, 2…): a message is matched on the connection and at the
 * place in the exchange where it was recorded, so the server messages it releases are its own.
 */
export type WebSocketCall =
  | { action: 'open'; url: string; connection: number; protocols: string[] }
  | { action: 'send'; url: string; connection: number; frame: number; message: WebSocketMessage }
  | { action: 'close'; url: string; connection: number; frame: number; code?: number; reason?: string };

const METHODS = { open: 'OPEN', send: 'SEND', close: 'CLOSE' } as const;

/**
 * The door's rules for requestKey(): the URL redacted (secret query parameters, credentials) and
 * the protocols (secret patterns), the URL normalised (`ws:`/`wss:`, default port dropped, query sorted); a text message redacted as a body
 * (JSON paths and secret patterns apply) and, when it is JSON, keyed as JSON so key order does not
 * count and a divergence names the field (`body.json.session.voice`). Binary messages are keyed
 * by their bytes.
 */
export function websocketKeyRules(): RequestKeyRules<WebSocketCall, WebSocketCall, NormalizedRequest> {
  return {
    redact: (call, redactor) => {
      const url = redactor.url(call.url);
      // A subprotocol can carry a credential (`openai-insecure-api-key.sk-…`, for clients that cannot set headers).
      if (call.action === 'open') return { ...call, url, protocols: call.protocols.map((protocol) => redactor.text(protocol)) };
      if (call.action === 'send' && !call.message.binary) return { ...call, url, message: { binary: false, text: redactText(call.message.text, redactor) } };
      if (call.action === 'close' && call.reason !== undefined) return { ...call, url, reason: redactor.text(call.reason) };
      return { ...call, url };
    },
    normalize: (call) => ({ method: METHODS[call.action], url: websocketUrl(call.url), headers: {}, body: utf8Body(canonicalJson(keyedBody(call))) }),
  };
}

function keyedBody(call: WebSocketCall): Record<string, unknown> {
  if (call.action === 'open') return call.protocols.length > 0 ? { connection: call.connection, protocols: call.protocols } : { connection: call.connection };
  const body: Record<string, unknown> = { connection: call.connection, frame: call.frame };
  if (call.action === 'close') {
    if (call.code !== undefined) body.code = call.code;
    if (call.reason) body.reason = call.reason;
    return body;
  }
  if (call.message.binary) body.base64 = Buffer.from(call.message.bytes).toString('base64');
  else {
    const json = jsonOf(call.message.text);
    if (json === undefined) body.text = call.message.text;
    else body.json = json;
  }
  return body;
}

/** The URL a WebSocket is opened to, as WebSocket has it: `http:` becomes `ws:`, then normalised like any URL. */
export function websocketUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  return normalizeUrl(parsed.toString());
}

function jsonOf(text: string): unknown {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return parseJsonExact(text);
  } catch {
    return undefined;
  }
}

function redactText(text: string, redactor: Redactor): string {
  return redactor.encodedBody(utf8Body(text), undefined).data;
}

/** How a connection ended, as the app was told (its `close` event). */
export interface RecordedClose {
  code: number;
  reason: string;
  wasClean: boolean;
  /** Milliseconds after the step began. */
  offsetMs: number;
}

/** What a step was answered with: the server's messages in order, and the close when it came within the step. */
export interface StepExchange {
  /** The open step: 101 when the connection opened, the HTTP status of a refused handshake, 0 when no response came. Other steps: 200. */
  status: number;
  statusText: string;
  /** The open step: the handshake's answer (negotiated subprotocol and extensions). */
  headers: Array<[string, string]>;
  messages: Array<{ offsetMs: number; message: WebSocketMessage }>;
  close?: RecordedClose;
  /** Why the connection failed to open, or broke. */
  error?: string;
  /** The process exited with the connection still open: what came until then. */
  stillOpen?: boolean;
}

/**
 * The exchange as a recorded response. Server messages are its `chunks`, one per message with its
 * offset; a binary message is always stored as base64 and a text message always as UTF-8, so the
 * encoding says which it was. The close (code, reason, whether clean) is the JSON `body`, when the
 * connection closed within the step.
 */
export function exchangeResponse(exchange: StepExchange, redactor: Redactor): RecordedResponse {
  const chunks: ResponseChunk[] = exchange.messages.map(({ offsetMs, message }) => ({ offsetMs: Math.round(offsetMs * 1000) / 1000, body: storedMessage(message, redactor) }));
  const response: RecordedResponse = {
    status: exchange.status,
    statusText: exchange.statusText,
    headers: redactor.headers(exchange.headers),
    chunks,
    complete: !exchange.stillOpen,
  };
  if (exchange.close || exchange.error !== undefined) {
    const document: Record<string, unknown> = {};
    if (exchange.close) document.close = { ...exchange.close, reason: redactor.text(exchange.close.reason) };
    // Kept even when empty: the app was told of an error without a message, and is told so again.
    if (exchange.error !== undefined) document.error = redactor.text(exchange.error);
    response.body = utf8Body(JSON.stringify(document));
  }
  if (exchange.error) response.error = redactor.text(exchange.error);
  return response;
}

function storedMessage(message: WebSocketMessage, redactor: Redactor): EncodedBody {
  if (message.binary) return { encoding: 'base64', data: Buffer.from(message.bytes).toString('base64'), size: message.bytes.byteLength };
  return redactor.encodedBody(utf8Body(message.text), undefined);
}

/** The exchange a recorded response holds, for playback. */
export function exchangeOf(response: RecordedResponse): StepExchange {
  const document = JSON.parse(response.body?.data ?? '{}') as { close?: RecordedClose; error?: string };
  const exchange: StepExchange = {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    messages: (response.chunks ?? []).map((chunk) => ({ offsetMs: chunk.offsetMs, message: messageOf(chunk.body) })),
  };
  if (document.close) exchange.close = document.close;
  const error = document.error ?? response.error;
  if (error !== undefined) exchange.error = error;
  if (!response.complete) exchange.stillOpen = true;
  return exchange;
}

function messageOf(body: EncodedBody): WebSocketMessage {
  return body.encoding === 'base64' ? { binary: true, bytes: Buffer.from(body.data, 'base64') } : { binary: false, text: body.data };
}

/** `3 messages, closed 1000`: the timeline's status text of a step. */
export function describeExchange(messages: number, close: RecordedClose | undefined): string {
  const said = `${messages} message${messages === 1 ? '' : 's'}`;
  return close ? `${said}, closed ${close.code}` : said;
}
