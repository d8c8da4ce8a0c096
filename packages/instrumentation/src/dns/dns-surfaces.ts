import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import type { DnsCall } from './dns-call.js';

/**
 * What a door does with one question: `ask` puts it to the real resolver (capture calls it, playback
 * does not), and the promise settles with the answer in the shape the promise API gives it.
 */
export type DnsHandler = (call: DnsCall, ask: () => Promise<unknown>) => Promise<unknown>;

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Methods = Record<string, AnyFunction>;

/** The questions a Resolver asks (and the module asks through its default resolver). */
const RESOLVER_OPERATIONS = [
  'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx', 'resolveNaptr',
  'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTlsa', 'resolveTxt', 'reverse',
] as const;
const MODULE_OPERATIONS = ['lookup', 'lookupService', ...RESOLVER_OPERATIONS] as const;

/**
 * Replaces every way node:dns asks a question, callback and promise APIs alike: the module's
 * functions (bound to the default resolver when Node loads, so patching the prototype alone would
 * miss them), `dns.Resolver` and `dns.promises.Resolver` instances. A `dns.lookup` that Node's own
 * `net` makes for a connection is left alone: it belongs to that connection's door. Returns the undo.
 */
export function patchDns(handler: DnsHandler): () => void {
  const undo: Array<() => void> = [];
  const replace = (target: Methods, operations: readonly string[], wrap: (operation: string, original: AnyFunction) => AnyFunction): void => {
    for (const operation of operations) {
      const original = target[operation];
      if (typeof original !== 'function') continue;
      const wrapper = wrap(operation, original);
      Object.defineProperty(wrapper, 'name', { value: original.name });
      target[operation] = wrapper;
      undo.push(() => void (target[operation] = original));
    }
  };
  const withCallback = (operation: string, original: AnyFunction): AnyFunction => callbackForm(operation, original, handler);
  const withPromise = (operation: string, original: AnyFunction): AnyFunction => promiseForm(operation, original, handler);
  replace(dns as unknown as Methods, MODULE_OPERATIONS, withCallback);
  replace(dns.Resolver.prototype as unknown as Methods, RESOLVER_OPERATIONS, withCallback);
  replace(dns.promises as unknown as Methods, MODULE_OPERATIONS, withPromise);
  replace(dns.promises.Resolver.prototype as unknown as Methods, RESOLVER_OPERATIONS, withPromise);
  syncBuiltinESMExports();
  return () => {
    for (const restore of undo.reverse()) restore();
    syncBuiltinESMExports();
  };
}

function callbackForm(operation: string, original: AnyFunction, handler: DnsHandler): AnyFunction {
  return function asked(this: unknown, ...args: unknown[]): unknown {
    const callback = args.at(-1);
    const call = readCall(operation, args.slice(0, -1));
    if (typeof callback !== 'function' || !call || (operation === 'lookup' && calledFromNode(asked))) return original.apply(this, args);
    const ask = () =>
      new Promise<unknown>((resolve, reject) => {
        original.apply(this, [...args.slice(0, -1), (error: Error | null, ...values: unknown[]) => (error ? reject(error) : resolve(promiseValue(operation, values)))]);
      });
    handler(call, ask).then(
      (answer) => (callback as AnyFunction)(null, ...callbackValues(operation, answer)),
      (error: unknown) => (callback as AnyFunction)(error),
    );
    return undefined;
  };
}

function promiseForm(operation: string, original: AnyFunction, handler: DnsHandler): AnyFunction {
  return function asked(this: unknown, ...args: unknown[]): unknown {
    const call = readCall(operation, args);
    if (!call || (operation === 'lookup' && calledFromNode(asked))) return original.apply(this, args);
    return handler(call, () => original.apply(this, args) as Promise<unknown>);
  };
}

/** The question in a call's arguments (callback left off); undefined where Node would refuse them. */
export function readCall(operation: string, args: readonly unknown[]): DnsCall | undefined {
  const [first, second] = args;
  if (operation === 'lookupService') {
    if (typeof first !== 'string' || (typeof second !== 'number' && typeof second !== 'string')) return undefined;
    return { operation, name: `${first}:${second}` };
  }
  if (typeof first !== 'string') return undefined;
  if (operation === 'lookup') {
    const given = typeof second === 'number' ? { family: second } : second !== null && typeof second === 'object' ? (second as { family?: unknown; all?: unknown }) : {};
    const family = given.family === 'IPv4' ? 4 : given.family === 'IPv6' ? 6 : Number(given.family ?? 0) || 0;
    return { operation, name: first, options: { family, all: given.all === true } };
  }
  if (operation === 'resolve') return { operation, name: first, options: { rrtype: typeof second === 'string' ? second : 'A' } };
  if ((operation === 'resolve4' || operation === 'resolve6') && second !== null && typeof second === 'object' && (second as { ttl?: unknown }).ttl === true) {
    return { operation, name: first, options: { ttl: true } };
  }
  return { operation, name: first };
}

/** The callback's values after the error, as the promise API gives them. */
function promiseValue(operation: string, values: unknown[]): unknown {
  if (operation === 'lookup') return Array.isArray(values[0]) ? values[0] : { address: values[0], family: values[1] };
  if (operation === 'lookupService') return { hostname: values[0], service: values[1] };
  return values[0];
}

/** The promise API's value as the callback's values after the error. */
function callbackValues(operation: string, answer: unknown): unknown[] {
  if (operation === 'lookup' && !Array.isArray(answer)) {
    const { address, family } = answer as { address: unknown; family: unknown };
    return [address, family];
  }
  if (operation === 'lookupService') {
    const { hostname, service } = answer as { hostname: unknown; service: unknown };
    return [hostname, service];
  }
  return [answer];
}

/** Whether the function's direct caller is Node itself (`net` looking up a host to connect to). */
function calledFromNode(wrapper: AnyFunction): boolean {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.captureStackTrace(holder, wrapper);
  Error.stackTraceLimit = limit;
  return /\(node:|at node:/.test(holder.stack?.split('\n')[1] ?? '');
}
