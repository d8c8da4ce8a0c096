import { describe, expect, it } from 'vitest';
import { isReadMethod, targetName } from '../../src/grpc/grpc-call.js';
import { withInnermost } from '../../src/grpc/grpc-door.js';
import type { GrpcInterceptor, GrpcInterceptorArgs } from '../../src/grpc/grpc-types.js';

const door: GrpcInterceptor = (options, next) => next(options);
const app: GrpcInterceptor = (options, next) => next(options);
const none: GrpcInterceptorArgs = { clientInterceptors: [], clientInterceptorProviders: [], callInterceptors: [], callInterceptorProviders: [] };

describe('withInnermost', () => {
  it("puts the door last (innermost) in the list grpc-js will use, without mixing interceptors and providers", () => {
    expect(withInnermost(none, door).clientInterceptors).toEqual([door]);
    expect(withInnermost({ ...none, clientInterceptors: [app] }, door).clientInterceptors).toEqual([app, door]);
    // Call interceptors replace the client's: the door goes with them.
    const call = withInnermost({ ...none, clientInterceptors: [app], callInterceptors: [app] }, door);
    expect(call.callInterceptors).toEqual([app, door]);
    expect(call.clientInterceptors).toEqual([app]);
    // Providers and interceptors may not both be given: a provider list gets a provider.
    const provided = withInnermost({ ...none, clientInterceptorProviders: [() => app] }, door);
    expect(provided.clientInterceptors).toEqual([]);
    expect(provided.clientInterceptorProviders.map((provide) => provide({} as never))).toEqual([app, door]);
  });
});

describe('targetName', () => {
  it('drops the resolver scheme grpc-js puts on a target', () => {
    expect(targetName('dns:localhost:50051')).toBe('localhost:50051');
    expect(targetName('dns:///vectors.internal:443')).toBe('vectors.internal:443');
    expect(targetName('unix:/run/grpc.sock')).toBe('unix:/run/grpc.sock');
  });
});

describe('isReadMethod', () => {
  it('takes the methods named as reads for reads, and anything else for a possible change', () => {
    for (const path of ['/vectors.VectorStore/Search', '/library.v1.Shelves/GetShelf', '/library.v1.Shelves/ListBooks', '/x.Y/Get']) expect(isReadMethod(path), path).toBe(true);
    for (const path of ['/vectors.VectorStore/Upsert', '/billing.Refunds/CreateRefund', '/x.Y/Getaway', '/x.Y/Listen', '/vectors.VectorStore/Neighbours']) expect(isReadMethod(path), path).toBe(false);
  });
});
