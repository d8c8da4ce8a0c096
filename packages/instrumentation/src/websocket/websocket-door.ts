import type { Redactor, TapeMatcher } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import type { CompletionOrder } from '../playback/completion-order.js';
import type { PlaybackOptions } from '../types.js';
import { attachGlobalWebSocketCapture } from './global-websocket-capture.js';
import { attachGlobalWebSocketPlayback } from './global-websocket-playback.js';
import { attachNodeHttpWebSocketCapture } from './node-http-capture.js';
import { attachNodeHttpWebSocketPlayback } from './node-http-playback.js';
import { WebSocketCapture } from './websocket-capture.js';
import { WebSocketPlayback } from './websocket-playback.js';

/** The WebSocket door's capture, on both clients: the global `WebSocket`, and `ws` (any client that upgrades through node:http). Returns the undo. */
export function attachWebSocketCapture(registry: CaptureRegistry, redactor: Redactor): () => void {
  const door = new WebSocketCapture(registry, redactor);
  const undo = [attachGlobalWebSocketCapture(door), attachNodeHttpWebSocketCapture(door)];
  return () => {
    for (const detach of undo.reverse()) detach();
    door.dispose();
  };
}

/** The WebSocket door's playback, on both clients. Returns the undo. */
export function attachWebSocketPlayback(matcher: TapeMatcher, order: CompletionOrder, redactor: Redactor, options: PlaybackOptions): () => void {
  const door = new WebSocketPlayback(matcher, order, redactor, options);
  const undo = [attachGlobalWebSocketPlayback(door), attachNodeHttpWebSocketPlayback(door)];
  return () => {
    for (const detach of undo.reverse()) detach();
  };
}
