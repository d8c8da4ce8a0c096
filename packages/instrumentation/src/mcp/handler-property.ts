import type { StdioTransportPrototype } from './stdio-transport.js';

type Handler = (...args: never[]) => unknown;

/**
 * Makes a Transport handler (`onmessage`, `onclose`) an accessor on the prototype, so the door sees
 * every call of the handler the client sets, before it: the transport calls `this.onmessage?.(…)`
 * and gets the wrapped handler. A client that reads the handler and wraps it in its own (as the
 * SDK's Protocol does) can make the door see one event twice: `observe` must be idempotent.
 * Returns the undo.
 */
export function observeHandler<A extends unknown[]>(
  proto: StdioTransportPrototype,
  name: 'onmessage' | 'onclose',
  observe: (transport: object, ...args: A) => void,
): () => void {
  const slot = Symbol(`tracetape.mcp.${name}`);
  type Holder = Record<symbol, Handler | undefined>;
  Object.defineProperty(proto, name, {
    configurable: true,
    enumerable: false,
    get(this: Holder) {
      return this[slot];
    },
    set(this: Holder, handler: unknown) {
      if (typeof handler !== 'function') {
        this[slot] = undefined;
        return;
      }
      const transport = this;
      this[slot] = function (this: unknown, ...args: A): unknown {
        observe(transport, ...args);
        return (handler as (...args: A) => unknown).apply(this, args);
      } as Handler;
    },
  });
  return () => void delete (proto as Record<string, unknown>)[name];
}
