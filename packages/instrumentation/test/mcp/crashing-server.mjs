// A stdio MCP server whose `crash` tool exits the process before answering.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'crashing', version: '1.0.0' });
server.registerTool('crash', { description: 'Exits without answering' }, async () => process.exit(3));
await server.connect(new StdioServerTransport());
