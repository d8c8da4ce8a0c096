/**
 * What the door uses of the SDK's `StdioClientTransport` (`@modelcontextprotocol/sdk/client/stdio.js`),
 * 1.x: the Transport interface's methods and handlers, and the server parameters it was made with.
 */
export interface StdioTransport {
  start(): Promise<void>;
  send(message: unknown, options?: unknown): Promise<void>;
  close(): Promise<void>;
  onmessage?: ((message: unknown, extra?: unknown) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
}

/** The class's prototype, which the door patches: every transport the app makes goes through it. */
export type StdioTransportPrototype = StdioTransport & Record<string | symbol, unknown>;

export interface StdioTransportModule {
  StdioClientTransport?: { prototype: StdioTransportPrototype };
}

/**
 * Who the transport talks to: the program and arguments of its server parameters. Not the
 * environment (its values may be secrets, and differ between machines) nor the working directory.
 */
export interface McpServerIdentity {
  command: string;
  args: string[];
}

/**
 * The server identity of a transport, from the parameters its constructor kept (`_serverParams`,
 * the SDK's own field: the Transport interface has no public way to read them).
 */
export function serverOf(transport: StdioTransport): McpServerIdentity | undefined {
  const params = (transport as unknown as { _serverParams?: unknown })._serverParams;
  if (params === null || typeof params !== 'object') return undefined;
  const { command, args } = params as { command?: unknown; args?: unknown };
  if (typeof command !== 'string') return undefined;
  return { command, args: Array.isArray(args) ? args.map(String) : [] };
}
