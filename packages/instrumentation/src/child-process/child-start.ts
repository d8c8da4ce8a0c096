import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The node:child_process starters this door answers for; `fork` always starts Node, so it never is a boundary. */
export const ASYNC_STARTERS = ['spawn', 'execFile', 'exec'] as const;
export const SYNC_STARTERS = ['spawnSync', 'execFileSync', 'execSync'] as const;
export type AsyncStarter = (typeof ASYNC_STARTERS)[number];
export type SyncStarter = (typeof SYNC_STARTERS)[number];
export type Starter = AsyncStarter | SyncStarter;

/** The options of a start, as far as this door reads them; every other option is passed on untouched. */
export interface StartOptions {
  cwd?: string | URL | null;
  env?: NodeJS.ProcessEnv | null;
  shell?: boolean | string;
  stdio?: unknown;
  input?: string | NodeJS.ArrayBufferView;
  encoding?: BufferEncoding | 'buffer' | null;
  argv0?: string;
  [option: string]: unknown;
}

export type ExecCallback = (error: Error | null, stdout: string | Buffer, stderr: string | Buffer) => void;

/** One start of a child process, read from the starter's arguments the way node:child_process reads them. */
export interface ChildStart {
  api: Starter;
  /** The executable; with a shell (exec, execSync, the `shell` option), the command line. */
  command: string;
  args: string[];
  /** A shallow copy of the options the app passed (an empty object when it passed none). */
  options: StartOptions;
  /** exec and execFile's callback. */
  callback?: ExecCallback;
  /** The shell the command line runs in: its path, or true for the platform's default. */
  shell?: string | true;
}

/** Where a child's stdin, stdout or stderr goes: a pipe the app reads or writes, or elsewhere. */
export type StdioMode = 'pipe' | 'inherit' | 'ignore' | 'other';

/** @returns undefined when the arguments are not a start this door understands (Node then throws as it would). */
export function readStart(api: Starter, args: readonly unknown[]): ChildStart | undefined {
  const [command] = args;
  if (typeof command !== 'string') return undefined;
  let list: unknown[] = [];
  let options: unknown;
  let callback: unknown;
  if (api === 'exec' || api === 'execSync') {
    [, options, callback] = args;
    if (typeof options === 'function') [options, callback] = [undefined, options];
  } else {
    let rest = args.slice(1);
    if (Array.isArray(rest[0])) list = rest[0] as unknown[];
    if (Array.isArray(rest[0]) || rest[0] == null) rest = rest.slice(1);
    [options, callback] = rest;
    if (typeof options === 'function') [options, callback] = [undefined, options];
  }
  if (options != null && typeof options !== 'object') return undefined;
  if (!list.every((arg) => typeof arg === 'string' || typeof arg === 'number' || typeof arg === 'boolean')) return undefined;
  const copy: StartOptions = { ...(options as StartOptions | undefined) };
  const start: ChildStart = { api, command, args: list.map(String), options: copy };
  if (typeof callback === 'function') start.callback = callback as ExecCallback;
  const shell = api === 'exec' || api === 'execSync' ? (typeof copy.shell === 'string' ? copy.shell : true) : copy.shell;
  if (typeof shell === 'string' && shell !== '') start.shell = shell;
  else if (shell === true) start.shell = true;
  return start;
}

/** How stdin, stdout and stderr of the child are set up (Node's default: all three pipes). */
export function stdioModes(options: StartOptions): [StdioMode, StdioMode, StdioMode] {
  const stdio = options.stdio;
  const modeOf = (value: unknown): StdioMode => {
    if (value == null || value === 'pipe' || value === 'overlapped') return 'pipe';
    if (value === 'inherit' || value === 'ignore') return value;
    return 'other';
  };
  if (typeof stdio === 'string') return [modeOf(stdio), modeOf(stdio), modeOf(stdio)];
  if (Array.isArray(stdio)) return [modeOf(stdio[0]), modeOf(stdio[1]), modeOf(stdio[2])];
  return ['pipe', 'pipe', 'pipe'];
}

/**
 * The working directory relative to this process's, when it is inside it (`.` when the app gave
 * none): a run replayed from another checkout or CI directory still matches its recording.
 */
export function workingDirectory(cwd: StartOptions['cwd']): string {
  const given = cwd instanceof URL ? fileURLToPath(cwd) : typeof cwd === 'string' ? cwd : '.';
  const here = process.cwd();
  const resolved = path.resolve(here, given);
  const relative = path.relative(here, resolved);
  if (relative === '') return '.';
  return relative.startsWith('..') || path.isAbsolute(relative) ? resolved : relative;
}

/** Names of the variables the child gets: the app's `env`, or this process's when it gave none. */
export function environmentNames(options: StartOptions): string[] {
  return Object.keys(options.env ?? process.env).sort();
}

/** Bytes of what the app wrote or passed as `input`. */
export function bytesOf(chunk: unknown, encoding?: unknown): Buffer | undefined {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

/** The starter's arguments for this start, with `options` in place of the app's. */
export function startArguments(start: ChildStart, options: StartOptions): unknown[] {
  const head = start.api === 'exec' || start.api === 'execSync' ? [start.command] : [start.command, start.args];
  return [...head, options, ...(start.callback ? [start.callback] : [])];
}

/**
 * The stdio of a start whose stdout or stderr is inherited while this process's own is no
 * terminal, with a pipe there instead: the door reads what the child prints and passes it on, so
 * it is recorded and a replay prints it. To a terminal the child keeps writing itself (it may
 * colour or draw for one), unrecorded. Undefined when nothing is inherited that way.
 */
export function pipedInheritance(options: StartOptions): { stdio: unknown[]; fds: Array<1 | 2> } | undefined {
  const modes = stdioModes(options);
  const fds = ([1, 2] as const).filter((fd) => modes[fd] === 'inherit' && !(fd === 1 ? process.stdout : process.stderr).isTTY);
  if (fds.length === 0) return undefined;
  const given = options.stdio;
  const stdio: unknown[] = typeof given === 'string' ? [given, given, given] : Array.isArray(given) ? [...(given as unknown[])] : ['pipe', 'pipe', 'pipe'];
  for (const fd of fds) stdio[fd] = 'pipe';
  return { stdio, fds };
}

/** This process's own stdout or stderr: where an inherited stream of a child writes. */
export function ownStream(fd: 1 | 2): NodeJS.WriteStream {
  return fd === 1 ? process.stdout : process.stderr;
}
