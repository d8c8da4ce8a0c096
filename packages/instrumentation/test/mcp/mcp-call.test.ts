import { Redactor, requestKey } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { answerOf, answerResponse, commandLine, mcpKeyRules, operationOf, responseMessage } from '../../src/mcp/mcp-call.js';

// The door's key: the operation (with the tool's name), the server's command line, and the
// request as one redacted document, so a changed argument diffs as body.arguments.<name>.
const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwxyz012345';
const server = { command: 'node', args: ['/srv/notes server.mjs', `--token=${SECRET}`] };

describe('mcp key rules', () => {
  it('keys a tool call by tool, server and arguments, redacted', () => {
    const key = requestKey(
      { server, method: 'tools/call', params: { name: 'append_note', arguments: { text: 'buy milk', apiKey: SECRET } } },
      new Redactor(),
      mcpKeyRules(),
    );
    expect(key.normalized.method).toBe('tools/call append_note');
    expect(key.normalized.url).toBe('node "/srv/notes server.mjs" --token=[REDACTED]');
    expect(JSON.parse(key.normalized.body!.data)).toEqual({ method: 'tools/call', name: 'append_note', arguments: { text: 'buy milk', apiKey: '[REDACTED]' } });
    expect(JSON.stringify(key)).not.toContain(SECRET);
  });

  it('applies configured body paths to the request document', () => {
    const redactor = new Redactor({ bodyPaths: ['$.arguments.text'] });
    const key = requestKey({ server, method: 'tools/call', params: { name: 'append_note', arguments: { text: 'private' } } }, redactor, mcpKeyRules());
    expect(JSON.parse(key.normalized.body!.data)).toMatchObject({ arguments: { text: '[REDACTED]' } });
  });

  it('leaves propagated trace context out of the key, and keeps the rest of _meta', () => {
    const call = (traceparent: string) => ({
      server,
      method: 'tools/call',
      params: { name: 't', arguments: {}, _meta: { traceparent, progressToken: 3 } },
    });
    const a = requestKey(call('00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01'), new Redactor(), mcpKeyRules());
    const b = requestKey(call('00-cccccccccccccccccccccccccccccccc-dddddddddddddddd-01'), new Redactor(), mcpKeyRules());
    expect(a.hash).toBe(b.hash);
    expect(JSON.parse(a.normalized.body!.data)._meta).toEqual({ progressToken: 3 });
  });

  it('names operations as the MCP conventions name spans', () => {
    expect(operationOf('tools/call', { name: 'append_note' })).toBe('tools/call append_note');
    expect(operationOf('prompts/get', { name: 'greet' })).toBe('prompts/get greet');
    expect(operationOf('resources/read', { uri: 'notes://all' })).toBe('resources/read');
    expect(operationOf('initialize', undefined)).toBe('initialize');
    expect(commandLine({ command: 'npx', args: ['-y', '@scope/server', ''] })).toBe('npx -y @scope/server ""');
  });

  it('keeps params that are not an object, or that hold a method, whole', () => {
    const key = requestKey({ server, method: 'custom', params: { method: 'x' } }, new Redactor(), mcpKeyRules());
    expect(JSON.parse(key.normalized.body!.data)).toEqual({ method: 'custom', params: { method: 'x' } });
  });
});

describe('mcp answers', () => {
  it('stores a result, a tool error and a JSON-RPC error, redacted, and gives them back under the new id', () => {
    const redactor = new Redactor();
    const result = answerResponse({ result: { content: [{ type: 'text', text: `key ${SECRET}` }] } }, redactor);
    expect(result).toMatchObject({ status: 200, statusText: 'ok', complete: true });
    expect(result.body!.data).not.toContain(SECRET);
    expect(responseMessage(7, answerOf(result) as { result: unknown })).toEqual({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'key [REDACTED]' }] } });

    expect(answerResponse({ result: { content: [], isError: true } }, redactor).statusText).toBe('tool error');

    const error = answerResponse({ error: { code: -32602, message: 'Unknown tool: nope' } }, redactor);
    expect(error).toMatchObject({ status: 0, statusText: '-32602', error: 'Unknown tool: nope' });
    expect(answerOf(error)).toEqual({ error: { code: -32602, message: 'Unknown tool: nope' } });

    const closed = answerResponse({ unanswered: 'closed' }, redactor);
    expect(closed).toMatchObject({ status: 0, complete: false });
    expect(answerOf(closed)).toEqual({ unanswered: 'closed' });
  });
});
