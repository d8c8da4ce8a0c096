import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import * as stdio from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Tape } from '@tracetape/core';
import { replayTape } from '@tracetape/replay/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startMcpHttpServer } from './support/mcp-http-server.js';

// MCP through the real CLI and the official SDK. Over stdio: the app starts a real server whose
// tool appends to a file; the replay answers every request from the tape, so the server is not
// started again and the file is not appended to, and a changed tool argument or an extra call is
// a divergence that fails the replay. Over streamable HTTP, the HTTP door replays the same.
const tmp = tempDir('tracetape-mcp-');
afterAll(() => tmp.remove());

function lines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('MCP over stdio', () => {
  const notes = path.join(tmp.dir, 'notes.txt');
  const starts = path.join(tmp.dir, 'starts.txt');
  const env = { TRACETAPE_DIR: path.join(tmp.dir, 'store'), NOTES_FILE: notes, STARTS_FILE: starts };
  const command = ['node', path.join(FIXTURES, 'mcp-app.mjs')];
  const server = `node ${path.join(FIXTURES, 'mcp-server.mjs')}`;

  it('records each request to the server and replays the run without starting it', async () => {
    const recorded = await tracetape(['record', '--', ...command], env);
    expect(recorded.code, recorded.stderr).toBe(0);
    // The log notification the server sends during the call is replayed too, before the call's answer.
    expect(recorded.stdout).toMatch(/^tools: append_note\nserver log: appending "buy milk"\nappend_note: appended "buy milk" \(server pid \d+\)\nnotes: "buy milk\\n"\n$/);
    expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32} \(mcp-app\.mjs, 4 calls\)/);
    expect(lines(notes)).toEqual(['buy milk']);
    expect(lines(starts)).toHaveLength(1);
    const traceId = recordedTraceId(recorded.stderr);

    const built = await tracetape(['tape', traceId, '--json'], env);
    expect(built.code, built.stderr).toBe(0);
    const tape = JSON.parse(built.stdout) as Tape;
    // The server's own process is no child-process call: the MCP door claimed its start.
    expect(tape.entries.map((entry) => [entry.kind, entry.request.normalized.method, entry.request.normalized.url, entry.sideEffect])).toEqual([
      ['mcp', 'initialize', server, false],
      ['mcp', 'tools/list', server, false],
      ['mcp', 'tools/call append_note', server, true],
      ['mcp', 'resources/read', server, false],
    ]);
    expect(tape.entries[2]!.spanName).toBe('tools/call append_note');

    const timeline = await tracetape(['tape', traceId], env);
    expect(timeline.code, timeline.stderr).toBe(0);
    expect(timeline.stdout).toMatch(/^3\s.*mcp\s+tools\/call append_note\s+node \S+mcp-server\.mjs\s+200\b/m);

    const replayed = await tracetape(['replay', traceId, '--', ...command], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    // The same output, the server's PID included: it is the recorded one.
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.stderr).toContain(`replay of ${traceId}: 4 served, 0 unconsumed, 0 blocked, 1 side effect(s) suppressed`);
    expect(lines(notes)).toEqual(['buy milk']);
    expect(lines(starts)).toHaveLength(1);

    const changed = await tracetape(['replay', traceId, '--', ...command], { ...env, NOTE_TEXT: 'buy bread' });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(`DIVERGED at call #3: tools/call append_note ${server} is not on the tape.`);
    expect(changed.stderr).toMatch(/body\.arguments\.text\s+"buy milk"\s+"buy bread"/);
    // The client got the divergence as the server's error: callTool rejected with it.
    expect(changed.stderr).toContain('McpError: MCP error -32090: replay diverged at call #3: tools/call append_note');

    const extra = await tracetape(['replay', traceId, '--', ...command], { ...env, EXTRA_CALL: '1' });
    expect(extra.code).toBe(1);
    expect(extra.stdout).toContain(`extra: MCP error -32090: replay diverged at call #5: tools/call append_note ${server} is not on the tape.`);
    expect(extra.stderr).toContain('4 served, 0 unconsumed, 1 blocked');
    expect(lines(notes)).toEqual(['buy milk']);
    expect(lines(starts)).toHaveLength(1);

    // --override answers a step with another result: what if the tool had refused?
    const answer = path.join(tmp.dir, 'refused.json');
    fs.writeFileSync(answer, JSON.stringify({ result: { content: [{ type: 'text', text: 'refused' }], isError: true } }));
    const overridden = await tracetape(['replay', '--override', `3=${answer}`, traceId, '--', ...command], env);
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(overridden.stdout).toContain('\nappend_note: refused\n');
    expect(overridden.stderr).toContain('1 overridden');

    // Inside a test, from a fixture, with the transport's module handed to replayTape.
    const fixtures = path.join(tmp.dir, 'fixtures');
    const frozen = await tracetape(['fixture', traceId, '-o', fixtures], env);
    expect(frozen.code, frozen.stderr).toBe(0);
    const [file] = fs.readdirSync(fixtures).filter((name) => name.endsWith('.tape.json'));
    const { result, report } = await replayTape(
      path.join(fixtures, file!),
      async () => {
        const client = new Client({ name: 'notes-agent', version: '1.0.0' });
        await client.connect(new stdio.StdioClientTransport({ command: 'node', args: [path.join(FIXTURES, 'mcp-server.mjs')] }));
        const { tools } = await client.listTools();
        const appended = await client.callTool({ name: 'append_note', arguments: { text: 'buy milk' } });
        await client.close();
        return [tools.map((tool) => tool.name), (appended.content as Array<{ text: string }>)[0]!.text];
      },
      { clients: { '@modelcontextprotocol/sdk/client/stdio.js': stdio } },
    );
    expect(result).toEqual([['append_note'], expect.stringMatching(/^appended "buy milk" \(server pid \d+\)$/)]);
    expect(report.served).toHaveLength(3);
    expect(lines(starts)).toHaveLength(1);
  }, 180_000);
  it('patches the SDK required as CommonJS too', async () => {
    const cjs = ['node', path.join(FIXTURES, 'mcp-app.cjs')];
    const recorded = await tracetape(['record', '--', ...cjs], env);
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32} \(mcp-app\.cjs, 2 calls\)/);
    const startsBefore = lines(starts).length;
    const replayed = await tracetape(['replay', recordedTraceId(recorded.stderr), '--', ...cjs], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.stderr).toContain('2 served, 0 unconsumed, 0 blocked, 1 side effect(s) suppressed');
    expect(lines(starts)).toHaveLength(startsBefore);
  }, 120_000);
});

describe('MCP over streamable HTTP', () => {
  const notes = path.join(tmp.dir, 'http-notes.txt');
  const env = { TRACETAPE_DIR: path.join(tmp.dir, 'http-store') };
  const command = ['node', path.join(FIXTURES, 'mcp-http-app.mjs')];

  it('goes through the HTTP door: recorded, then replayed with the server unreached, and stopped', async () => {
    const server = await startMcpHttpServer(notes);
    try {
      const recorded = await tracetape(['record', '--', ...command], { ...env, MCP_URL: server.url });
      expect(recorded.code, recorded.stderr).toBe(0);
      expect(recorded.stdout).toBe('tools: append_note\nappend_note: appended "call the bank"\n');
      expect(lines(notes)).toEqual(['call the bank']);
      const traceId = recordedTraceId(recorded.stderr);

      const built = await tracetape(['tape', traceId, '--json'], env);
      const tape = JSON.parse(built.stdout) as Tape;
      expect(tape.entries.every((entry) => entry.kind === 'http')).toBe(true);

      // Still listening: the replay must not reach it.
      const hits = server.hits();
      const replayed = await tracetape(['replay', traceId, '--', ...command], { ...env, MCP_URL: server.url });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
      expect(replayed.stderr).toMatch(/0 unconsumed, 0 blocked/);
      expect(server.hits()).toBe(hits);
      expect(lines(notes)).toEqual(['call the bank']);
      await server.close();

      const stopped = await tracetape(['replay', traceId, '--', ...command], { ...env, MCP_URL: server.url });
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stdout).toBe(recorded.stdout);

      const changed = await tracetape(['replay', traceId, '--', ...command], { ...env, MCP_URL: server.url, NOTE_TEXT: 'call the police' });
      expect(changed.code).toBe(1);
      expect(changed.stderr).toMatch(/DIVERGED at call #\d+: POST http:\/\/127\.0\.0\.1:\d+\/mcp is not on the tape/);
      expect(changed.stderr).toMatch(/body\.params\.arguments\.text\s+"call the bank"\s+"call the police"/);
      expect(lines(notes)).toEqual(['call the bank']);
    } finally {
      await server.close();
    }
  }, 180_000);
});
