// The three ways the same service script is started. Only the --import and the environment differ.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..');
export const serviceScript = path.join(here, 'service.mjs');
export const upstreamScript = path.join(here, 'upstream.mjs');
export const plainOtelRegister = path.join(here, 'plain-otel-register.mjs');
export const tracetapeRegister = path.join(repoRoot, 'packages/register/dist/index.js');
export const tracetapeCli = path.join(repoRoot, 'packages/replay/dist/cli.js');

/**
 * The parent's environment minus anything that would switch telemetry on or off behind a
 * variant's back (a developer's OTEL_* exporter settings, a TRACETAPE_MODE=off, NODE_OPTIONS).
 */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') || key.startsWith('TRACETAPE_') || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * `previous`: { register, tracetapeDir, label } of the register hook before the recording log
 * (bench/previous-hook.mjs), measured as a fourth variant when given.
 */
export function variants({ upstreamUrl, tracetapeDir, previous }) {
  const common = { BENCH_UPSTREAM_URL: upstreamUrl, OTEL_SERVICE_NAME: 'bench-service' };
  const all = [
    { id: 'none', label: 'no instrumentation', args: [serviceScript], env: cleanEnv(common) },
    {
      id: 'otel',
      label: 'plain OpenTelemetry',
      args: ['--import', pathToFileURL(plainOtelRegister).href, serviceScript],
      env: cleanEnv(common),
    },
    {
      id: 'tracetape',
      label: 'tracetape capture',
      args: ['--import', pathToFileURL(tracetapeRegister).href, serviceScript],
      env: cleanEnv({ ...common, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: tracetapeDir }),
    },
  ];
  if (previous) {
    all.push({
      id: 'previous',
      label: previous.label,
      args: ['--import', pathToFileURL(previous.register).href, serviceScript],
      env: cleanEnv({ ...common, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: previous.tracetapeDir }),
    });
  }
  return all;
}
