import nodeCrypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { isExcludedCaller } from './caller-filter.js';
import { realDate, realDateNow, realGetRandomValues, realMathRandom, realRandomBytes, realRandomUUID } from './originals.js';

/** What a patched source asks for the app's reads; excluded callers always get the real value. */
export interface SourceHandler {
  clock(real: () => number): number;
  random(real: () => number): number;
  uuid(real: () => string): string;
  /** Fills/returns `size` random bytes. */
  bytes(size: number, real: (size: number) => Uint8Array): Uint8Array;
}

type UUID = `${string}-${string}-${string}-${string}-${string}`;

/**
 * Replaces the clock and random sources the issue names: Date.now(), new Date() (no arguments),
 * Date() as a function, Math.random(), crypto.randomUUID() (global and node:crypto),
 * crypto.randomBytes() (sync form) and crypto.getRandomValues(). Returns the function that
 * restores them.
 */
export function installSources(handler: SourceHandler): () => void {
  const webCrypto = globalThis.crypto;
  const saved = {
    Date: globalThis.Date,
    random: Math.random,
    nodeRandomUUID: nodeCrypto.randomUUID,
    nodeRandomBytes: nodeCrypto.randomBytes,
    webRandomUUID: Object.getOwnPropertyDescriptor(webCrypto, 'randomUUID'),
    webGetRandomValues: Object.getOwnPropertyDescriptor(webCrypto, 'getRandomValues'),
  };

  const now = function now(): number {
    return isExcludedCaller(now) ? realDateNow() : handler.clock(realDateNow);
  };
  // A function, not a class: `Date()` without `new` must keep working (it returns a string).
  const PatchedDate = function Date(this: unknown, ...args: unknown[]): Date | string {
    // A date built from arguments reads no clock: no need to ask who is calling.
    if (new.target && args.length > 0) return Reflect.construct(realDate, args, new.target) as Date;
    const current = isExcludedCaller(PatchedDate) ? realDateNow() : handler.clock(realDateNow);
    if (!new.target) return new realDate(current).toString();
    return Reflect.construct(realDate, [current], new.target) as Date;
  } as unknown as DateConstructor;
  Object.setPrototypeOf(PatchedDate, realDate);
  Object.defineProperty(PatchedDate, 'prototype', { value: realDate.prototype });
  Object.defineProperty(PatchedDate, 'now', { value: now, writable: true, configurable: true });
  globalThis.Date = PatchedDate;

  const random = function random(): number {
    return isExcludedCaller(random) ? realMathRandom() : handler.random(realMathRandom);
  };
  Math.random = random;

  const randomUUID = function randomUUID(): UUID {
    return (isExcludedCaller(randomUUID) ? realRandomUUID() : handler.uuid(realRandomUUID)) as UUID;
  };
  nodeCrypto.randomUUID = randomUUID;
  Object.defineProperty(webCrypto, 'randomUUID', { value: randomUUID, writable: true, configurable: true });

  const randomBytes = function randomBytes(size: number, callback?: (error: Error | null, buf: Buffer) => void): Buffer | void {
    // The callback form draws from the pool asynchronously; it is left to the real source.
    if (callback || isExcludedCaller(randomBytes)) return saved.nodeRandomBytes(size, callback as never);
    return Buffer.from(handler.bytes(size, realRandomBytes));
  } as typeof nodeCrypto.randomBytes;
  nodeCrypto.randomBytes = randomBytes;

  const getRandomValues = function getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (!array || isExcludedCaller(getRandomValues)) return realGetRandomValues(array as never) as T;
    const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    view.set(handler.bytes(view.byteLength, (size) => realGetRandomValues(new Uint8Array(size))));
    return array;
  };
  // node:crypto's getRandomValues is a fixed getter that delegates to this global one.
  Object.defineProperty(webCrypto, 'getRandomValues', { value: getRandomValues, writable: true, configurable: true });

  // ESM `import { randomUUID } from 'node:crypto'` reads the builtin's named exports: refresh them.
  syncBuiltinESMExports();

  return () => {
    globalThis.Date = saved.Date;
    Math.random = saved.random;
    nodeCrypto.randomUUID = saved.nodeRandomUUID;
    nodeCrypto.randomBytes = saved.nodeRandomBytes;
    restore(webCrypto, 'randomUUID', saved.webRandomUUID);
    restore(webCrypto, 'getRandomValues', saved.webGetRandomValues);
    syncBuiltinESMExports();
  };
}

function restore(target: object, key: string, descriptor: PropertyDescriptor | undefined): void {
  if (descriptor) Object.defineProperty(target, key, descriptor);
  else delete (target as Record<string, unknown>)[key];
}
