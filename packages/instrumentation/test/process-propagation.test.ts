import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { context, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  childEnvironment,
  extractTraceVariables,
  inheritedRun,
  injectTraceVariables,
  installProcessPropagation,
  ProcessPaths,
  withHook,
} from '@tracetape/instrumentation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = new URL('./process-propagation/', import.meta.url);
const CHILD = fileURLToPath(new URL('child.mjs', HERE));
const WORKER = new URL('worker.mjs', HERE);
const HOOK_URL = pathToFileURL(fileURLToPath(new URL('hook.mjs', HERE))).href;

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const PARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;
const active: Context = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });

describe('process paths', () => {
  it('numbers children and workers apart, in the order they start, below the own path', () => {
    const root = new ProcessPaths('0');
    expect([root.nextChild(), root.nextWorker(), root.nextChild(), root.nextWorker()]).toEqual(['0.1', '0.w1', '0.2', '0.w2']);
    expect(new ProcessPaths('0.2').nextChild()).toBe('0.2.1');
  });

  it('reads the own path and the parent span from the environment; a run of its own has path 0 and no parent', () => {
    const child = inheritedRun({ TRACETAPE_PROCESS_PATH: '0.1', TRACEPARENT: PARENT });
    expect(child.processPath).toBe('0.1');
    const parent = trace.getSpanContext(child.parentContext!);
    expect(parent).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
    expect(inheritedRun({})).toEqual({ processPath: '0', parentContext: undefined });
    expect(() => inheritedRun({ TRACETAPE_PROCESS_PATH: '1/2' })).toThrow(/TRACETAPE_PROCESS_PATH must be a process path/);
  });
});

describe('the trace context as environment variables', () => {
  it('carries the active span as TRACEPARENT, and reads it back as a remote parent', () => {
    const variables = injectTraceVariables(active);
    expect(variables).toEqual({ TRACEPARENT: PARENT });
    expect(trace.getSpanContext(extractTraceVariables(variables)!)).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
    expect(injectTraceVariables(ROOT_CONTEXT)).toEqual({});
    expect(extractTraceVariables({ TRACEPARENT: 'not a traceparent' })).toBeUndefined();
  });
});

describe('a child environment', () => {
  const own = { PATH: '/bin', TRACETAPE_MODE: 'playback', OTEL_SERVICE_NAME: 'app', TRACEPARENT: 'stale', TRACETAPE_PROCESS_PATH: '0.3', NODE_OPTIONS: '--no-warnings' };
  const run = { TRACEPARENT: PARENT, TRACETAPE_PROCESS_PATH: '0.3.1' };

  it("is the process's own with the hook and the run's variables when the app passed none", () => {
    expect(childEnvironment(undefined, run, HOOK_URL, own)).toEqual({ ...own, ...run, NODE_OPTIONS: `--no-warnings --import=${HOOK_URL}` });
  });

  it("keeps what the app passed and adds only the tracetape and OTel settings it left out", () => {
    const given = { PATH: '/usr/bin', OTEL_SERVICE_NAME: 'child' };
    const env = childEnvironment(given, run, HOOK_URL, own);
    expect(env).toEqual({ PATH: '/usr/bin', OTEL_SERVICE_NAME: 'child', TRACETAPE_MODE: 'playback', NODE_OPTIONS: `--import=${HOOK_URL}`, ...run });
    expect(given).toEqual({ PATH: '/usr/bin', OTEL_SERVICE_NAME: 'child' });
  });

  it('does not add the hook twice', () => {
    expect(withHook(`--import=${HOOK_URL}`, HOOK_URL)).toBe(`--import=${HOOK_URL}`);
    expect(withHook('--import @tracetape/register --inspect', HOOK_URL)).toBe('--import @tracetape/register --inspect');
    expect(withHook('--import=@tracetape/register/api', HOOK_URL)).toBe(`--import=@tracetape/register/api --import=${HOOK_URL}`);
  });
});

describe('children and workers started under process propagation', () => {
  let uninstall: () => void;
  const manager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
    process.env.TRACETAPE_PROPAGATION_TEST_SETTING = 'inherited';
    uninstall = installProcessPropagation({ hookUrl: HOOK_URL, processPath: '0' });
  });

  afterAll(() => {
    uninstall();
    delete process.env.TRACETAPE_PROPAGATION_TEST_SETTING;
    context.disable();
  });

  type Handed = { hook: boolean; traceparent?: string; path?: string; nodeOptions?: string; setting?: string; mine?: string };
  const parse = (stdout: string | Buffer): Handed => JSON.parse(String(stdout).trim()) as Handed;

  it('hands every kind of child process the hook, the span active at its start and the next path', async () => {
    // Imported after the patch, as the app's ESM named imports are: they must see the wrappers.
    const { exec, execFile, execFileSync, execSync, fork, spawn, spawnSync } = await import('node:child_process');
    const node = process.execPath;
    const seen = await context.with(active, async () => {
      const results: Handed[] = [];
      results.push(parse(spawnSync(node, [CHILD]).stdout));
      results.push(parse(execFileSync(node, [CHILD], { env: { MINE: 'kept' } })));
      results.push(parse(execSync(`"${node}" "${CHILD}"`)));
      results.push(parse((await promisify(execFile)(node, [CHILD])).stdout));
      results.push(parse((await promisify(exec)(`"${node}" "${CHILD}"`)).stdout));
      results.push(
        parse(
          await new Promise<string>((resolve, reject) => {
            let out = '';
            const child = spawn(node, [CHILD]);
            child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
            child.once('error', reject);
            child.once('close', () => resolve(out));
          }),
        ),
      );
      results.push(
        await new Promise<Handed>((resolve, reject) => {
          let out = '';
          const child = fork(CHILD, { silent: true });
          child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.once('error', reject);
          child.once('close', () => resolve(parse(out)));
        }),
      );
      results.push(await new Promise<Handed>((resolve, reject) => execFile(node, [CHILD], (error, stdout) => (error ? reject(error) : resolve(parse(stdout))))));
      return results;
    });
    expect(seen.map((handed) => handed.path)).toEqual(['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8']);
    for (const handed of seen) {
      expect(handed).toMatchObject({ hook: true, traceparent: PARENT, setting: 'inherited' });
      expect(handed.nodeOptions).toContain(`--import=${HOOK_URL}`);
    }
    expect(seen[1]!.mine).toBe('kept');
  });

  it('hands a worker its run through the environment data and keeps its hook whatever env or execArgv it was given', async () => {
    const { Worker } = await import('node:worker_threads');
    const start = (options: ConstructorParameters<typeof Worker>[1]) =>
      context.with(active, () => {
        const worker = new Worker(WORKER, options);
        return new Promise<{ hook: boolean; run: Record<string, string> | null; mine: string | null }>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
      });
    const withEnv = await start({ env: { MINE: 'kept' } });
    expect(withEnv).toEqual({ hook: true, run: { TRACEPARENT: PARENT, TRACETAPE_PROCESS_PATH: '0.w1' }, mine: 'kept' });
    const withExecArgv = await start({ execArgv: [] });
    expect(withExecArgv).toMatchObject({ hook: true, run: { TRACETAPE_PROCESS_PATH: '0.w2' } });
    // Only the worker being constructed is handed the run.
    const { getEnvironmentData } = await import('node:worker_threads');
    expect(getEnvironmentData('tracetape.run')).toBeUndefined();
  });
});
