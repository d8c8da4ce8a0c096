// The ways the same service script is started. Only the --import and the environment differ.
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

export const nockRecorderRegister = path.join(here, 'nock-recorder-register.mjs');
export const interceptorOnlyRegister = path.join(here, 'interceptor-only-register.mjs');

/**
 * The same service started every way the capture table compares: no instrumentation, plain
 * OpenTelemetry, two peer recorders on top of it (nock's recorder; @mswjs/interceptors copying
 * every body), and tracetape with its default capture (the diagnostics channels from Node 24.4) and
 * with the socket-level interceptor. `tracetapeDir(id)` is where a tracetape variant records;
 * `nodeFlags` go before every variant's own arguments alike (run.mjs --node-flag).
 */
export function variants({ upstreamUrl, tracetapeDir, nodeFlags = [] }) {
  const common = { BENCH_UPSTREAM_URL: upstreamUrl, OTEL_SERVICE_NAME: 'bench-service' };
  const withImport = (register) => [...nodeFlags, '--import', pathToFileURL(register).href, serviceScript];
  return [
    { id: 'none', label: 'no instrumentation', args: [...nodeFlags, serviceScript], env: cleanEnv(common) },
    { id: 'otel', label: 'plain OpenTelemetry', args: withImport(plainOtelRegister), env: cleanEnv(common) },
    { id: 'nock', label: "OpenTelemetry + nock's recorder, full bodies", args: withImport(nockRecorderRegister), env: cleanEnv(common) },
    { id: 'mswjs', label: 'OpenTelemetry + @mswjs/interceptors copying bodies', args: withImport(interceptorOnlyRegister), env: cleanEnv(common) },
    {
      id: 'tracetape',
      label: 'tracetape capture (default)',
      args: withImport(tracetapeRegister),
      env: cleanEnv({ ...common, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: tracetapeDir('tracetape') }),
    },
    {
      id: 'tracetapeInterceptor',
      label: 'tracetape capture, interceptor',
      args: withImport(tracetapeRegister),
      env: cleanEnv({ ...common, TRACETAPE_MODE: 'capture', TRACETAPE_CAPTURE_SOURCE: 'interceptor', TRACETAPE_DIR: tracetapeDir('tracetapeInterceptor') }),
    },
  ];
}

/**
 * tracetape as another commit built it (`build` from bench/previous-hook.mjs), started the way the
 * default capture variant is, for `--against`.
 */
export function againstVariant({ upstreamUrl, tracetapeDir, build, nodeFlags = [] }) {
  return {
    id: 'against',
    label: `tracetape at ${build.commit}`,
    args: [...nodeFlags, '--import', pathToFileURL(build.register).href, serviceScript],
    env: cleanEnv({ BENCH_UPSTREAM_URL: upstreamUrl, OTEL_SERVICE_NAME: 'bench-service', TRACETAPE_MODE: 'capture', TRACETAPE_DIR: tracetapeDir('against') }),
  };
}
