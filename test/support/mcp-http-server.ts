import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface McpHttpServer {
  url: string;
  /** HTTP requests received, of every method (POST, GET, DELETE). */
  hits(): number;
  close(): Promise<void>;
}

/**
 * The SDK's MCP server over streamable HTTP on loopback, stateful (a session per client, as most
 * servers run): the same `append_note` tool as the stdio fixture, appending to `notesFile`.
 */
export async function startMcpHttpServer(notesFile: string): Promise<McpHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits += 1;
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      const created = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (session) => void sessions.set(session, created) });
      transport = created;
      void notesServer(notesFile).connect(created);
    }
    void transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await Promise.all([...sessions.values()].map((transport) => transport.close()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    hits: () => hits,
    close: () => (closing ??= close()),
  };
}

function notesServer(notesFile: string): McpServer {
  const server = new McpServer({ name: 'notes-http', version: '1.0.0' });
  server.registerTool('append_note', { description: 'Appends a note to the notes file', inputSchema: { text: z.string() } }, async ({ text }) => {
    fs.appendFileSync(notesFile, `${text}\n`);
    return { content: [{ type: 'text', text: `appended "${text}"` }] };
  });
  return server;
}
