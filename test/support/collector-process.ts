import { spawn } from 'node:child_process';
import { CLI, REPO_ROOT } from './cli.js';

export interface CollectorProcess {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  port: number;
  /** SIGTERM (the collector finishes requests in progress and flushes), then the exit code and what it printed. */
  stop(): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** `tracetape collector` as users run it, resolved once it prints the address it bound. Port 0 picks a free one. */
export function startCollectorProcess(env: Record<string, string>, port = 0, args: string[] = []): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [CLI, 'collector', '--port', String(port), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)\/v1\/traces/.exec(stdout);
      if (match) {
        resolve({
          url: match[1]!,
          port: Number(new URL(match[1]!).port),
          stop: async () => {
            child.kill('SIGTERM');
            const code = await exited;
            return { code, stdout, stderr };
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`the collector exited (${code}) before listening:\n${stderr}`)));
  });
}
