import nodeCrypto from 'node:crypto';

/**
 * The real sources, taken before anything is patched. tracetape's own code and the OpenTelemetry
 * SDK (through the ID generator tracetape gives it) use these, so their reads never reach a tape.
 */
export const realDate = Date;
export const realDateNow = Date.now.bind(Date);
export const realMathRandom = Math.random.bind(Math);
export const realRandomUUID = nodeCrypto.randomUUID.bind(nodeCrypto);
export const realRandomBytes = nodeCrypto.randomBytes.bind(nodeCrypto) as (size: number) => Buffer;
export const realGetRandomValues = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
