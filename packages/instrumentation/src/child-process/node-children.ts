import fs from 'node:fs';
import path from 'node:path';
import { startsOwnScript } from '../process-propagation/own-scripts.js';
import type { ChildStart } from './child-start.js';

const NODE_BINARY = /^node(?:js)?(?:\.exe)?$/i;
const SHELL_BINARY = /^(?:sh|bash|dash|zsh|ksh|ash)$/;
/** `FOO=bar` before a command on a shell line. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** What separates the commands of a shell line. */
const SEPARATOR = /&&|\|\||[;|&\n]/;
/** Words a shell line may put before the program it runs. */
const PREFIXES = new Set(['exec', 'command', 'env', 'time', 'nohup', 'sudo']);
/** A script Node runs: `#!/usr/bin/env node`, `#!/usr/local/bin/node --flags`. */
const NODE_SHEBANG = /^#!.*\bnode(?:js)?\b/;
/** A shell script that hands over to Node, as pnpm's `node_modules/.bin` shims do (`exec node "$basedir/…"`). */
const SHELL_SHEBANG = /^#!\s*\S*\/(?:env\s+)?(?:sh|bash|dash)\b/;
const EXECS_NODE = /\bexec\s+(?:"\$basedir\/node"|node)\b/;

/**
 * Whether a start is one of the run's own processes rather than a boundary call: Node (the
 * propagation hands it the hook, so it records itself into the run and replays by running in
 * playback), a script Node runs (`npx`, a `node_modules/.bin` tool), a shell line one of whose
 * commands is one of those (`npm start` runs its script through `sh -c`), or one of tracetape's
 * own scripts. Anything else the app runs (git, curl, a shell line of other programs) is a
 * boundary call of this door.
 */
export function isRunProcess(start: ChildStart, env: NodeJS.ProcessEnv = start.options.env ?? process.env): boolean {
  if (startsOwnScript([start.command, ...start.args])) return true;
  if (start.shell) return runsNodeLine(start.command, env);
  if (isNodeProgram(start.command, env)) return true;
  // `sh -c '<line>'`, as npm runs a package script.
  const line = SHELL_BINARY.test(path.basename(start.command)) ? start.args[start.args.indexOf('-c') + 1] : undefined;
  return start.args.includes('-c') && line !== undefined && runsNodeLine(line, env);
}

function runsNodeLine(line: string, env: NodeJS.ProcessEnv): boolean {
  return line.split(SEPARATOR).some((command) => {
    const words = command.trim().match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
    const program = words.find((word) => !ASSIGNMENT.test(word) && !PREFIXES.has(word) && !word.startsWith('-'));
    return program !== undefined && isNodeProgram(program.replace(/^["']|["']$/g, ''), env);
  });
}

function isNodeProgram(program: string, env: NodeJS.ProcessEnv): boolean {
  if (program === process.execPath || NODE_BINARY.test(path.basename(program))) return true;
  const file = resolveProgram(program, env);
  if (file === undefined) return false;
  const head = headOf(file);
  const first = head.split('\n', 1)[0] ?? '';
  return NODE_SHEBANG.test(first) || (SHELL_SHEBANG.test(first) && EXECS_NODE.test(head));
}

/** Where the shell would find a program: a path as given, else the first match on PATH. */
function resolveProgram(program: string, env: NodeJS.ProcessEnv): string | undefined {
  if (program.includes('/')) return program;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The start of a file: enough for a shebang, and for a shim's few lines. */
function headOf(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(2048);
    const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('latin1');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
