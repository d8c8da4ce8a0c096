import childProcess from 'node:child_process';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE, type CapturedRequest, type RecordedResponse } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import type { ChildOutcome } from '../../src/child-process/child-process-call.js';
import { recordChildren } from './record-children.js';

// Capture with real children: each program that is not Node is recorded once, on its own span,
// while the app sees it exactly as without tracetape.
const SECRET = 'sk-proj-abcdefghijklmnopqrstuvwxyz012345';

function closed(child: childProcess.ChildProcess): Promise<{ out: string; err: string; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ out, err, code, signal }));
  });
}

function recorded(span: ReadableSpan): { request: CapturedRequest; body: Record<string, unknown>; response: RecordedResponse; outcome: ChildOutcome } {
  const request = JSON.parse(String(span.attributes[ATTR_TRACETAPE_REQUEST])) as CapturedRequest;
  const response = JSON.parse(String(span.attributes[ATTR_TRACETAPE_RESPONSE])) as RecordedResponse;
  return { request, body: JSON.parse(request.normalized.body!.data) as Record<string, unknown>, response, outcome: JSON.parse(response.body!.data) as ChildOutcome };
}

describe('child-process capture', () => {
  it('records command, arguments (redacted), stdin as written, output chunks with offsets and the exit code; env names only', async () => {
    let seen: Awaited<ReturnType<typeof closed>> | undefined;
    const { spans } = await recordChildren(async () => {
      const child = childProcess.spawn('sh', ['-c', 'cat; echo " $0" >&2; exit 4', SECRET], { env: { PATH: process.env.PATH, API_TOKEN: 'token-value-42' } });
      child.stdin.write('hello ');
      child.stdin.end(Buffer.from('world'));
      seen = await closed(child);
    });
    expect(seen).toEqual({ out: 'hello world', err: ` ${SECRET}\n`, code: 4, signal: null });
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    const { request, body, response, outcome } = recorded(span);
    expect(request.normalized).toMatchObject({ method: 'spawn', url: 'sh' });
    expect(body).toEqual({ args: ['-c', 'cat; echo " $0" >&2; exit 4', '[REDACTED]'], cwd: '.', stdin: 'hello world' });
    expect(request.headers).toEqual([['env', 'API_TOKEN PATH']]);
    expect(JSON.stringify(span.attributes)).not.toContain('token-value-42');
    expect(JSON.stringify(span.attributes)).not.toContain(SECRET);
    expect(response).toMatchObject({ status: 200, statusText: 'exit 4', complete: true });
    expect(outcome).toMatchObject({ spawned: true, exitCode: 4, signal: null });
    // Chunks as they came: `cat` may write the two stdin writes as one chunk or two, by timing.
    const text = (fd: number) => outcome.output.filter((chunk) => chunk.fd === fd).map((chunk) => chunk.data).join('');
    expect([text(1), text(2)]).toEqual(['hello world', ' [REDACTED]\n']);
    expect(outcome.output.every((chunk) => chunk.fd === 1 || chunk.fd === 2)).toBe(true);
    expect(outcome.output.every((chunk) => chunk.offsetMs > 0)).toBe(true);
    expect(span.name).toBe('sh');
    expect(span.attributes['process.executable.name']).toBe('sh');
    expect(span.attributes['process.command_args']).toEqual(['sh', '-c', 'cat; echo " $0" >&2; exit 4', '[REDACTED]']);
    expect(span.attributes['process.exit.code']).toBe(4);
    expect(span.attributes['process.pid']).toBe(outcome.pid);
    expect(span.attributes['error.type']).toBe('4');
  });

  it('leaves the child to the app: no listener added, its streams not set flowing', async () => {
    let out = '';
    let untouched: unknown[] = [];
    await recordChildren(async () => {
      const child = childProcess.spawn('printf', ['%s', 'read by the app']);
      untouched = [child.stdout.readableFlowing, child.listenerCount('error'), child.listenerCount('close'), child.stdout.listenerCount('data')];
      for await (const chunk of child.stdout) out += String(chunk);
    });
    expect(untouched).toEqual([null, 0, 0, 0]);
    expect(out).toBe('read by the app');
  });

  it('records the sync forms, exec with a shell, a failed start, and lets Node children through unrecorded', async () => {
    const seen: unknown[] = [];
    const { spans } = await recordChildren(async () => {
      seen.push(childProcess.execSync('printf synced').toString());
      try {
        childProcess.execFileSync('sh', ['-c', 'echo no >&2; exit 3'], { stdio: 'pipe' });
      } catch (error) {
        seen.push((error as { status: number }).status, (error as Error).message);
      }
      seen.push(childProcess.spawnSync('sh', ['-c', 'read line; echo "got $line"'], { input: 'typed\n', encoding: 'utf8' }).stdout);
      seen.push(await new Promise((resolve) => childProcess.exec('echo shell; exit 5', (error, stdout) => resolve([(error as { code?: number }).code, stdout]))));
      const missing = childProcess.spawn('no-such-program-tracetape');
      seen.push(await closed(missing).catch((error: NodeJS.ErrnoException) => error.code));
      seen.push(childProcess.execFileSync(process.execPath, ['-e', 'process.stdout.write("node child")']).toString());
    });
    expect(seen).toEqual(['synced', 3, 'Command failed: sh -c echo no >&2; exit 3\nno\n', 'got typed\n', [5, 'shell\n'], 'ENOENT', 'node child']);
    const calls = spans.map((span) => {
      const { request, body, response, outcome } = recorded(span);
      return { method: request.normalized.method, url: request.normalized.url, stdin: body.stdin, shell: body.shell, status: response.status, text: response.statusText, code: outcome.error?.code };
    });
    expect(calls).toEqual([
      { method: 'execSync', url: 'printf synced', stdin: '', shell: true, status: 200, text: 'exit 0', code: undefined },
      { method: 'execFileSync', url: 'sh', stdin: '', shell: undefined, status: 200, text: 'exit 3', code: undefined },
      { method: 'spawnSync', url: 'sh', stdin: 'typed\n', shell: undefined, status: 200, text: 'exit 0', code: undefined },
      { method: 'exec', url: 'echo shell; exit 5', stdin: '', shell: true, status: 200, text: 'exit 5', code: undefined },
      { method: 'spawn', url: 'no-such-program-tracetape', stdin: '', shell: undefined, status: 0, text: 'ENOENT', code: 'ENOENT' },
    ]);
  });
});
