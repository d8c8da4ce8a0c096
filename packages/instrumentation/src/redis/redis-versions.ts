/**
 * The client versions whose internals the Redis door reads and patches: those it was built and
 * tested against (ioredis 6.0, @redis/client 6.3). Other majors name or shape those internals
 * differently (node-redis 4 and early 5 have no tracing channels, ioredis 5 no reply context).
 */
export const IOREDIS_MAJOR = 6;
export const NODE_REDIS_MAJOR = 6;
export const IOREDIS_VERSIONS = [`>=${IOREDIS_MAJOR}.0.0 <${IOREDIS_MAJOR + 1}`];
export const NODE_REDIS_VERSIONS = [`>=${NODE_REDIS_MAJOR}.0.0 <${NODE_REDIS_MAJOR + 1}`];

const warned = new Set<string>();

/** Whether the door knows this version of the client; says once, on stderr, what happens when it does not. */
export function supportedVersion(name: string, version: string | undefined, major: number, otherwise: string): boolean {
  if (version !== undefined && Number(version.split('.')[0]) === major) return true;
  const key = `${name} ${otherwise}`;
  if (!warned.has(key)) {
    warned.add(key);
    process.stderr.write(`tracetape: ${name} ${version ?? '(unknown version)'} is not supported by the Redis door, which knows ${name} ${major}.x: ${otherwise}\n`);
  }
  return false;
}
