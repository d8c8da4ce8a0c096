// The register hook as it was before the recording log (commit 7233e78: the app inserted into
// embedded chDB itself), built from git without touching the working tree, so the capture and
// start-up figures can put it beside the current hook in the same run.
//
//   node bench/previous-hook.mjs        prepares (or finds) the build and prints where it is
//
// The commit is extracted with `git archive` into a stable directory under the OS temp dir and
// built there with `tsc -b`; repeated runs reuse it. Its node_modules is the working tree's, entry
// by entry (symlinks), except @tracetape/*, which point at the old commit's own packages: the
// dependency set of 7233e78 is the current one minus @tracetape/log. Nothing here throws: a build
// that cannot be prepared comes back as { error } and the figures say why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './variants.mjs';

export const PREVIOUS_COMMIT = '7233e78';
export const PREVIOUS_LABEL = `tracetape (before the log, ${PREVIOUS_COMMIT})`;
const READY_FILE = '.tracetape-bench-ready';

function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} failed (${result.signal ?? result.status}): ${(result.stderr || result.stdout).trim().slice(-1500)}`);
  return result.stdout;
}

/** Where the build of `commit` lives: one directory per full commit hash, reused across runs. */
function buildDirOf(sha) {
  return path.join(os.tmpdir(), `tracetape-bench-previous-${sha.slice(0, 12)}`);
}

function linkNodeModules(dir) {
  const modules = path.join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  const source = path.join(repoRoot, 'node_modules');
  for (const entry of readdirSync(source)) {
    if (entry === '@tracetape') continue;
    symlinkSync(path.join(source, entry), path.join(modules, entry));
  }
  // The old commit's own workspace packages, as npm links them.
  mkdirSync(path.join(modules, '@tracetape'));
  for (const pkg of readdirSync(path.join(dir, 'packages'))) {
    const manifest = path.join(dir, 'packages', pkg, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (!name?.startsWith('@tracetape/')) continue;
    symlinkSync(path.join('..', '..', 'packages', pkg), path.join(modules, name));
  }
}

/**
 * Resolves with { commit, dir, register, cli, reused } or { commit, error }: the previous hook's
 * register entry point and CLI, built.
 */
export function preparePreviousHook(commit = PREVIOUS_COMMIT) {
  let sha;
  try {
    sha = run('git', ['-C', repoRoot, 'rev-parse', '--verify', `${commit}^{commit}`]).trim();
  } catch (error) {
    return { commit, error: `commit ${commit} is not in this clone (${String(error.message).split('\n')[0]})` };
  }
  const dir = buildDirOf(sha);
  const built = {
    commit: sha.slice(0, 7),
    dir,
    register: path.join(dir, 'packages/register/dist/index.js'),
    cli: path.join(dir, 'packages/replay/dist/cli.js'),
  };
  try {
    if (existsSync(path.join(dir, READY_FILE)) && readFileSync(path.join(dir, READY_FILE), 'utf8').trim() === sha && existsSync(built.register) && existsSync(built.cli)) {
      return { ...built, reused: true };
    }
    // Built in a scratch directory and renamed when complete: an interrupted build is never reused.
    const scratch = `${dir}.partial-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    run('sh', ['-c', `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, 'sh', repoRoot, sha, scratch]);
    linkNodeModules(scratch);
    run(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: scratch });
    writeFileSync(path.join(scratch, READY_FILE), `${sha}\n`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(scratch, dir);
    } catch (error) {
      // Another run finished the same build first: use that one.
      rmSync(scratch, { recursive: true, force: true });
      if (!existsSync(path.join(dir, READY_FILE))) throw error;
    }
    // tsc's build info names the scratch directory; nothing at run time reads it.
    if (!existsSync(built.register) || !existsSync(built.cli)) throw new Error('tsc -b left no packages/register/dist/index.js or packages/replay/dist/cli.js');
    return { ...built, reused: false };
  } catch (error) {
    return { commit: sha.slice(0, 7), error: `could not build the previous hook (${commit}) in ${dir}: ${String(error.message ?? error).split('\n').slice(0, 3).join(' ')}` };
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const result = preparePreviousHook(process.argv[2]);
  process.stdout.write(`${JSON.stringify({ ...result, ms: Math.round(performance.now() - started) }, null, 2)}\n`);
  if (result.error) process.exitCode = 1;
}
