/** What a wrap does around one call of the method: the object, its state, the call's arguments. */
export type MethodObserver<T, S> = (target: T, state: S, args: readonly unknown[]) => void;

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
 * which paused it 14 to 18 ms on average; with one shared wrapper ~2 MB and 2.4 to 2.7 ms
 * (BENCHMARKS.md, session 30). The same state lives in the object's own fields, and dies with the
 * object. The fields are not enumerable: printing a request must not print capture's copies of
 * its body, and copying one must not carry them over.
 *
 * `before` runs ahead of the original, `after` once it has returned; neither may disturb the app's
 * call, so what either throws is dropped. The original's result is returned as it is.
 */
export function sharedMethodWrap<T extends object, S>(
  name: Extract<keyof T, string>,
  observers: { before?: MethodObserver<T, S>; after?: MethodObserver<T, S> },
): SharedMethodWrap<T, S> {
  const originalKey = Symbol(`tracetape.original.${name}`);
  const stateKey = Symbol(`tracetape.state.${name}`);
  const { before, after } = observers;
  type Method = (...args: unknown[]) => unknown;
  type Slots = Record<PropertyKey, unknown> & { [originalKey]?: Method; [stateKey]?: S[] };
  const wrapper = function (this: T & Slots, ...args: unknown[]): unknown {
    const states = this[stateKey];
    // Called on an object it was never installed on (the method taken off one object and applied
    // to another): nothing to observe, and the method its class gives that object is called.
    const original = (this[originalKey] ?? (Object.getPrototypeOf(this) as Record<string, unknown> | null)?.[name]) as Method | undefined;
    if (typeof original !== 'function') throw new TypeError(`${name} is not a function`);
    if (states && before) for (const state of states) observe(before, this, state, args);
    const result = original.apply(this, args);
    if (states && after) for (const state of states) observe(after, this, state, args);
    return result;
  };
  return {
    install(target: T, state: S): void {
      const slots = target as unknown as Slots;
      // Installed twice on one object (two capture sessions alive at once): the first install's
      // original stays the one called, and the one wrapper observes for both. Taking the current
      // method for the original again would make it call itself, directly or through whatever
      // wrapped the object in between.
      if (Object.hasOwn(slots, stateKey)) {
        slots[stateKey]!.push(state);
        return;
      }
      hide(slots, originalKey, slots[name] as Method);
      hide(slots, stateKey, [state]);
      slots[name] = wrapper;
    },
  };
}

function hide(target: object, key: symbol, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

function observe<T, S>(observer: MethodObserver<T, S>, target: T, state: S, args: readonly unknown[]): void {
  try {
    observer(target, state, args);
  } catch {
    // Capture's failure is never the app's: its call goes on whatever happens to the copy.
  }
}
