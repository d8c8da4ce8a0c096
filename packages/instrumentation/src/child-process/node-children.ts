import path from 'node:path';
import { startsOwnScript } from '../process-propagation/own-scripts.js';
import type { ChildStart } from './child-start.js';

const NODE_BINARY = /^node(?:js)?(?:\.exe)?$/i;
/** `FOO=bar` before a command on a shell line. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Whether a start is one of the run's own processes rather than a boundary call: a Node process
 * (the propagation hands it the hook, so it records itself into the run and replays by running in
 * playback), or one of tracetape's own scripts. Anything else the app runs (git, curl, a shell) is
 * a boundary call of this door. A Node started through a launcher (a shell, npx) is inside the
 * boundary call of that launcher.
 */
export function isRunProcess(start: ChildStart): boolean {
  if (startsOwnScript([start.command, ...start.args])) return true;
  const executable = start.shell ? firstWord(start.command) : start.command;
  return executable !== undefined && isNode(executable);
}

function isNode(executable: string): boolean {
  return executable === process.execPath || NODE_BINARY.test(path.basename(executable));
}

/** The program a simple shell command line starts: its first word after any variable assignments. */
function firstWord(commandLine: string): string | undefined {
  const words = commandLine.trim().match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const word = words.find((candidate) => !ASSIGNMENT.test(candidate) && candidate !== 'exec');
  return word?.replace(/^["']|["']$/g, '');
}
