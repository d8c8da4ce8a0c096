import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import { getSystemErrorName } from 'node:util';
import type { ChildStart, StartOptions } from './child-start.js';

/**
 * What node:child_process gives the app beyond the child itself, rebuilt here because a replayed
 * child never reaches Node's own exec, execFile and sync starters. Each function follows Node 24's
 * lib/child_process.js, so a replayed run sees the values and errors the recorded one saw; capture
 * uses the sync ones too, on the real spawnSync's result, so both modes take one path.
 */

/** spawnSync's result with the app's `encoding` applied to the raw bytes. */
export function encodedSyncReturns(ret: SpawnSyncReturns<Buffer>, options: StartOptions): SpawnSyncReturns<string | Buffer> {
  const encoding = options.encoding && options.encoding !== 'buffer' ? options.encoding : undefined;
  if (!encoding || !ret.output) return ret;
  const output = ret.output.map((part) => (part ? part.toString(encoding) : part));
  return { ...ret, output, stdout: output[1] as string, stderr: output[2] as string };
}

/**
 * What a sync starter returns: spawnSync its result; execSync and execFileSync the child's stdout,
 * or they throw Node's error (the spawn error, or "Command failed" with the result's fields).
 */
export function syncStarterResult(start: ChildStart, raw: SpawnSyncReturns<Buffer>): unknown {
  const ret = encodedSyncReturns(raw, start.options);
  if (start.api === 'spawnSync') return ret;
  // Without an `stdio` option both print the child's stderr to this process's, as they go.
  if (!start.options.stdio && ret.stderr && ret.stderr.length > 0) process.stderr.write(ret.stderr);
  const cmd = start.api === 'execSync' ? start.command : [start.options.argv0 || start.command, ...start.args].join(' ');
  let error: Error | undefined;
  if (ret.error) error = Object.assign(ret.error, ret);
  else if (ret.status !== 0) {
    const stderr = ret.stderr && ret.stderr.length > 0 ? `\n${ret.stderr.toString()}` : '';
    error = Object.assign(new Error(`Command failed: ${cmd}${stderr}`), ret);
  }
  if (error) throw error;
  return ret.stdout;
}

/**
 * exec and execFile's callback on a child: stdout and stderr collected (strings in the `encoding`,
 * utf8 by default, or Buffers), then `(null, stdout, stderr)` for exit code 0, else an error with
 * `code` (the exit code), `killed`, `signal` and `cmd`, or the child's own 'error'.
 */
export function deliverExecResult(child: ChildProcess, start: ChildStart): void {
  const callback = start.callback;
  const encodingOption = start.options.encoding === undefined ? 'utf8' : start.options.encoding;
  const encoding = encodingOption && encodingOption !== 'buffer' && Buffer.isEncoding(encodingOption) ? encodingOption : undefined;
  const stdout: Array<string | Buffer> = [];
  const stderr: Array<string | Buffer> = [];
  for (const [stream, parts] of [[child.stdout, stdout], [child.stderr, stderr]] as const) {
    if (!stream) continue;
    if (encoding) stream.setEncoding(encoding);
    stream.on('data', (part: string | Buffer) => parts.push(part));
  }
  let exited = false;
  let failure: Error | undefined;
  const joined = (parts: Array<string | Buffer>): string | Buffer => (encoding ? parts.join('') : Buffer.concat(parts as Buffer[]));
  const exithandler = (code?: number | null, signal?: NodeJS.Signals | null): void => {
    if (exited) return;
    exited = true;
    if (!callback) return;
    const out = joined(stdout);
    const err = joined(stderr);
    if (!failure && code === 0 && signal === null) {
      callback(null, out, err);
      return;
    }
    const cmd = start.args.length > 0 ? `${start.command} ${start.args.join(' ')}` : start.command;
    const error =
      failure ??
      Object.assign(new Error(`Command failed: ${cmd}\n${err.toString()}`), {
        code: typeof code === 'number' && code < 0 ? getSystemErrorName(code) : code,
        killed: child.killed,
        signal,
      });
    Object.assign(error, { cmd });
    callback(error, out, err);
  };
  child.addListener('close', exithandler);
  child.addListener('error', (error: Error) => {
    failure = error;
    child.stdout?.destroy();
    child.stderr?.destroy();
    exithandler();
  });
}

/** util.promisify(exec) and util.promisify(execFile): Node's own form, `{ stdout, stderr }` or the error with them. */
export function promisifiedExec(starter: (...args: unknown[]) => unknown): (...args: unknown[]) => Promise<{ stdout: unknown; stderr: unknown }> {
  return (...args: unknown[]) => {
    let child: unknown;
    const promise = new Promise<{ stdout: unknown; stderr: unknown }>((resolve, reject) => {
      child = starter(...args, (error: (Error & { stdout?: unknown; stderr?: unknown }) | null, stdout: unknown, stderr: unknown) => {
        if (error !== null) {
          error.stdout = stdout;
          error.stderr = stderr;
          reject(error);
        } else resolve({ stdout, stderr });
      });
    });
    return Object.assign(promise, { child });
  };
}
