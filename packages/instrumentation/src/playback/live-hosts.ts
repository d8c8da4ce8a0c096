/**
 * Whether the user marked this destination live (`--live-host host` or `host:port`). IPv6 hosts
 * match in their bracketed form as well.
 */
export function isLiveHost(host: string, port: number | undefined, liveHosts: Iterable<string>): boolean {
  const live = new Set([...liveHosts].map((entry) => entry.toLowerCase()));
  if (live.size === 0) return false;
  const bare = host.startsWith('[') ? host : host.includes(':') ? `[${host}]` : host;
  return live.has(host) || live.has(bare) || (port !== undefined && live.has(`${bare}:${port}`));
}
