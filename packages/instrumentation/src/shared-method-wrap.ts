/** What a wrap does around one call of the method: the object, its state, the call's arguments. */
export type MethodObserver<T, S> = (target: T, state: S, args: unknown[]) => void;

export interface SharedMethodWrap<T extends object, S> {
  /** Puts the wrapper in place of the object's method, with `state` for the observers to read. */
  install(target: T, state: S): void;
}

/**
 * Observes one method of many objects (each outbound request's `write`, each response's `push`)
 * with a single wrapper function for all of them: each object's own state and original method sit
 * on symbol properties of the object, where the wrapper finds them through `this`.
 *
 * A fresh closure per object, assigned as its method and then called from Node's stream code, kept
 * what it captured (the call, and through it the request, its response and whatever the app hung
 * on them) alive through V8's young-generation collections until the next full one: a recorded
 * service making its calls with node:http kept ~10 MB of dead requests through each scavenge,
 * which paused it 11 to 18 ms; with one shared wrapper ~2 MB and 2.4 to 2.7 ms (BENCHMARKS.md,
 * session 30). The same state lives in the object's own fields, and dies with the object.
 *
 * `before` runs ahead of the original, `after` once it has returned; neither may disturb the app's
 * call, so what either throws is dropped. The original's result is returned as it is.
 */
export function sharedMethodWrap<T extends object, S>(
  name: string,
  observers: { before?: MethodObserver<T, S>; after?: MethodObserver<T, S> },
): SharedMethodWrap<T, S> {
  const originalKey = Symbol(`tracetape.original.${name}`);
  const stateKey = Symbol(`tracetape.state.${name}`);
  const { before, after } = observers;
  type Slots = Record<PropertyKey, unknown> & { [originalKey]?: (...args: unknown[]) => unknown; [stateKey]?: S };
  const wrapper = function (this: T & Slots, ...args: unknown[]): unknown {
    const state = this[stateKey];
    // Called on an object it was never installed on (the method taken off one object and applied
    // to another): there is nothing to observe, and that object's own method is the original.
    const original = this[originalKey] ?? (Object.getPrototypeOf(this) as Slots | null)?.[name];
    if (typeof original !== 'function') throw new TypeError(`${name} is not a function`);
    if (state !== undefined && before) observe(before, this, state, args);
    const result = original.apply(this, args);
    if (state !== undefined && after) observe(after, this, state, args);
    return result;
  };
  return {
    install(target: T, state: S): void {
      const slots = target as unknown as Slots;
      slots[originalKey] = slots[name] as (...args: unknown[]) => unknown;
      slots[stateKey] = state;
      slots[name] = wrapper;
    },
  };
}

function observe<T, S>(observer: MethodObserver<T, S>, target: T, state: S, args: unknown[]): void {
  try {
    observer(target, state, args);
  } catch {
    // Capture's failure is never the app's: its call goes on whatever happens to the copy.
  }
}
