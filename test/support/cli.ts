import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'packages/replay/dist/cli.js');
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output (no shell, real child process). */
export function runProcess(command: string, args: string[], env: Record<string, string | undefined> = {}, cwd = REPO_ROOT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `tracetape <args>` with the given environment. */
export function tracetape(args: string[], env: Record<string, string | undefined> = {}, cwd = REPO_ROOT): Promise<CliResult> {
  return runProcess(process.execPath, [CLI, ...args], env, cwd);
}

/** A server app under `tracetape record`, once it has said which port it listens on. */
export interface RecordingServer {
  port: number;
  /** The record command's outcome, once the server (and so the recording) has ended. */
  ended: Promise<CliResult>;
  /** Sends the record command a signal, as a terminal's Ctrl-C (SIGINT) would: it passes it on to the app. */
  signal(name: NodeJS.Signals): void;
}

/**
 * `tracetape record -- node <app>` (or `-- <command...>`) for a server app that prints
 * `{"port":N}` once it listens: resolves with the port, or fails with what the server printed if
 * it exits before listening.
 */
export async function startRecordingServer(app: string | string[], env: Record<string, string | undefined> = {}): Promise<RecordingServer> {
  const command = typeof app === 'string' ? ['node', app] : app;
  const child = spawn(process.execPath, [CLI, 'record', '--', ...command], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    void ended.then(({ code }) => reject(new Error(`the server exited (${code}) before listening:\n${stderr}`)));
  });
  return { port, ended, signal: (name) => void child.kill(name) };
}

/** The rows of `tracetape query <sql> --format json`, once the command has succeeded. */
export async function queryRows<T>(sql: string, env: Record<string, string | undefined>): Promise<T[]> {
  const result = await tracetape(['query', sql, '--format', 'json'], env);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

export function recordedTraceId(stderr: string): string {
  const match = /recorded trace ([0-9a-f]{32})/.exec(stderr);
  if (!match) throw new Error(`no trace ID in record output:\n${stderr}`);
  return match[1]!;
}

/** A fresh directory under the system temp dir, removed by the returned function. */
export function tempDir(prefix: string, parent = os.tmpdir()): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
