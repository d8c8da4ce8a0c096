import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_KIND, Redactor, ReplayDivergenceError, TapeMatcher, type Tape } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureRegistry } from '../../src/capture/capture-registry.js';
import { CaptureSpanProcessor } from '../../src/capture/capture-span-processor.js';
import { ChildProcessCapture } from '../../src/child-process/child-process-capture.js';
import { installChildProcessDoor } from '../../src/child-process/patch-starters.js';
import { McpCapture } from '../../src/mcp/mcp-capture.js';
import { McpInstrumentation } from '../../src/mcp/mcp-instrumentation.js';
import { McpPlayback } from '../../src/mcp/mcp-playback.js';
import { CompletionOrder } from '../../src/playback/completion-order.js';
import { TRACER_NAME } from '../../src/tracer-name.js';
import { tapeFromSpans } from '../tape-from-spans.js';

// The door with the real SDK and a real stdio server (test/fixtures/mcp-server.mjs): capture
// records each request and its response on its own span, and the server's process is not also a
// child-process call; playback answers the same client without starting the server.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/mcp-server.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-mcp-door-'));
const notes = path.join(dir, 'notes.txt');
const starts = path.join(dir, 'starts.txt');
const redactor = new Redactor();
const stdioModule = { StdioClientTransport };

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * The server through a shell, as a launcher script would start it: a program that is not Node, which
 * the child-process door would record as a call of its own were the start not the MCP door's.
 */
const LAUNCH = ['-c', 'exec "$1" "$0"', SERVER, process.execPath];

/** What the app prints, whichever mode the transport runs in. */
async function app(text = 'buy milk', extra?: () => Promise<void>): Promise<string[]> {
  const transport = new StdioClientTransport({ command: 'sh', args: LAUNCH, env: { PATH: process.env.PATH!, NOTES_FILE: notes, STARTS_FILE: starts } });
  // Roots, so the client may send a notification of its own (no step: nothing answers it).
  const client = new Client({ name: 'door-test', version: '1.0.0' }, { capabilities: { roots: { listChanged: true } } });
  let closed = false;
  const seen: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, ({ params }) => void seen.push(`log ${String(params.data)}`));
  await client.connect(transport);
  client.onclose = () => (closed = true);
  seen.push((await client.listTools()).tools.map((tool) => tool.name).join(','));
  const appended = await client.callTool({ name: 'append_note', arguments: { text } });
  seen.push((appended.content as Array<{ text: string }>)[0]!.text);
  seen.push(String((await client.readResource({ uri: 'notes://all' })).contents[0]!.text));
  await client.sendRootsListChanged();
  await extra?.();
  await client.close();
  seen.push(`closed ${closed}`);
  return seen;
}

function startCount(): number {
  return fs.existsSync(starts) ? fs.readFileSync(starts, 'utf8').split('\n').filter(Boolean).length : 0;
}

/** Runs `run` with the capture door in the transport (and the child-process door beside it); returns what it saw, its spans and their tape. */
async function recordTape<T>(run: () => Promise<T>): Promise<{ value: T; spans: ReadableSpan[]; processSpans: number; tape: Tape }> {
  const exporter = new InMemorySpanExporter();
  const registry = new CaptureRegistry();
  const provider = new TracerProvider({ spanProcessors: [new CaptureSpanProcessor(registry, new SimpleSpanProcessor({ exporter }), { maxWaitMs: 1_000, redactor })] });
  const tracer = provider.getTracer(TRACER_NAME);
  const undoChildren = installChildProcessDoor(new ChildProcessCapture(registry, redactor, tracer));
  const undoMcp = new McpInstrumentation(new McpCapture(registry, redactor, tracer)).patchLoaded(stdioModule);
  let value: T;
  try {
    value = await run();
  } finally {
    undoMcp();
    undoChildren();
  }
  await provider.forceFlush();
  const finished = exporter.getFinishedSpans();
  const { spans, tape } = tapeFromSpans(finished, 'mcp');
  await provider.shutdown();
  return { value, spans, processSpans: finished.filter((span) => span.attributes[ATTR_TRACETAPE_KIND] === 'process').length, tape };
}

/** Runs `run` with the playback door in the transport; returns what it saw, and the divergences reported. */
async function replayTapeOf<T>(tape: Tape, run: () => Promise<T>): Promise<{ value: T; divergences: Error[]; matcher: TapeMatcher }> {
  const divergences: Error[] = [];
  const matcher = new TapeMatcher(tape);
  const door = new McpPlayback(matcher, new CompletionOrder(tape.entries), redactor, new TracerProvider().getTracer(TRACER_NAME), {
    tape,
    onDivergence: (error) => divergences.push(error),
  });
  const undo = new McpInstrumentation(door).patchLoaded(stdioModule);
  try {
    return { value: await run(), divergences, matcher };
  } finally {
    undo();
  }
}

let recorded: { seen: string[]; spans: ReadableSpan[]; processSpans: number; tape: Tape };

beforeAll(async () => {
  const { value, ...rest } = await recordTape(() => app());
  recorded = { seen: value, ...rest };
}, 30_000);

function replay<T>(run: () => Promise<T>): ReturnType<typeof replayTapeOf<T>> {
  return replayTapeOf(recorded.tape, run);
}

describe('mcp door', () => {
  it('records each request with its response, one span each, and not the server as a child process', () => {
    expect(recorded.seen).toEqual(['append_note', 'log appending "buy milk"', expect.stringMatching(/^appended "buy milk" \(server pid \d+\)$/), 'buy milk\n', 'closed true']);
    // The server's notification came during the call: kept with its answer, not a step of its own.
    expect(JSON.parse(recorded.tape.entries[2]!.response.body!.data).before).toEqual([
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'appending "buy milk"' } },
    ]);
    expect(startCount()).toBe(1);
    expect(recorded.processSpans).toBe(0);
    const url = `sh -c "exec \\"$1\\" \\"$0\\"" ${SERVER} ${process.execPath}`;
    expect(recorded.tape.entries.map((entry) => [entry.request.normalized.method, entry.request.normalized.url, entry.sideEffect, entry.response.status])).toEqual([
      ['initialize', url, false, 200],
      ['tools/list', url, false, 200],
      ['tools/call append_note', url, true, 200],
      ['resources/read', url, false, 200],
    ]);
    expect(JSON.parse(recorded.tape.entries[2]!.request.normalized.body!.data)).toEqual({ method: 'tools/call', name: 'append_note', arguments: { text: 'buy milk' } });
    const call = recorded.spans[2]!;
    expect(call.name).toBe('tools/call append_note');
    expect(call.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'append_note',
      'gen_ai.tool.call.arguments': '{"text":"buy milk"}',
      'network.transport': 'pipe',
      'jsonrpc.request.id': '2',
    });
    expect(recorded.spans[3]!.attributes['mcp.resource.uri']).toBe('notes://all');
    expect(recorded.spans[0]!.attributes['mcp.protocol.version']).toEqual(expect.any(String));
  });

  it('replays the same run from the tape without starting the server', async () => {
    const { value, divergences, matcher } = await replay(() => app());
    expect(value).toEqual(recorded.seen);
    expect(divergences).toEqual([]);
    const report = matcher.report();
    expect([report.served.length, report.unconsumed, report.blocked]).toEqual([4, [], []]);
    expect(startCount()).toBe(1);
    expect(fs.readFileSync(notes, 'utf8')).toBe('buy milk\n');
  });

  it('fails a changed tool argument with the divergence, naming the tool and the argument', async () => {
    const { value, divergences } = await replay(() => app('buy bread').then(() => undefined, (error: unknown) => error as Error));
    expect(value).toBeInstanceOf(Error);
    expect(value!.message).toContain('tools/call append_note');
    expect(value!.message).toMatch(/body\.arguments\.text\s+"buy milk"\s+"buy bread"/);
    expect(divergences).toHaveLength(1);
    expect(divergences[0]).toBeInstanceOf(ReplayDivergenceError);
    expect(startCount()).toBe(1);
  });

  it('blocks a call the tape does not hold, and the client goes on', async () => {
    let extraError: Error | undefined;
    const { value, divergences, matcher } = await replay(() =>
      app('buy milk', async () => {
        const transport = new StdioClientTransport({ command: 'sh', args: LAUNCH });
        const client = new Client({ name: 'door-test', version: '1.0.0' });
        await client.connect(transport).catch((error: unknown) => (extraError = error as Error));
        await client.close();
      }),
    );
    expect(value).toEqual(recorded.seen);
    expect(extraError?.message).toMatch(/MCP error -32090: replay diverged at call #5: initialize sh .* is not on the tape/);
    expect(divergences).toHaveLength(1);
    expect(matcher.report().blocked).toHaveLength(1);
    expect(startCount()).toBe(1);
  });

  it('replays a server that went away mid-call as the transport closing', async () => {
    const crashing = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crashing-server.mjs');
    const run = async (): Promise<string> => {
      const client = new Client({ name: 'door-test', version: '1.0.0' });
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [crashing] }));
      const outcome = await client.callTool({ name: 'crash', arguments: {} }).then(
        () => 'answered',
        (error: unknown) => (error as Error).message,
      );
      await client.close();
      return outcome;
    };
    const tape = await recordTape(run);
    expect(tape.value).toBe('MCP error -32000: Connection closed');
    expect(tape.tape.entries.map((entry) => [entry.request.normalized.method, entry.response.statusText])).toEqual([
      ['initialize', 'ok'],
      ['tools/call crash', 'closed'],
    ]);
    const replayed = await replayTapeOf(tape.tape, run);
    expect(replayed.value).toBe(tape.value);
    expect(replayed.divergences).toEqual([]);
  });
});
