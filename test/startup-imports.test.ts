import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, runProcess, tempDir } from './support/cli.js';

// What a process loads decides how soon it starts: `tracetape replay` starts the app only after its
// own modules are in, and an app recorded with the register hook pays for the hook's. Neither uses
// the ClickHouse HTTP client (a server store only) nor the OTLP receiver's protobuf schema (the
// collector only); loading them cost ~150 ms of a recorded app's start on a two-core machine.
const HEAVY_AND_UNUSED = ['@clickhouse/client', 'protobufjs'];

const work = tempDir('tracetape-imports-');
// A store server or an exporter set in the shell running the tests would load what these leave out.
const NO_SERVER = { TRACETAPE_CLICKHOUSE_URL: undefined, TRACETAPE_EXPORTER: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: undefined };
afterAll(() => work.remove());

/** A preload that writes, at exit, the name of every package the process resolved a module of, and the modules of this repository's packages. */
function packageTracer(): { preload: string; read(): string[]; ownModules(): string[] } {
  const out = path.join(work.dir, `packages-${Math.random().toString(36).slice(2)}.json`);
  const preload = path.join(work.dir, `trace-${path.basename(out, '.json')}.mjs`);
  fs.writeFileSync(
    preload,
    `import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const names = new Set();
const ownModules = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    // The last node_modules in the path names the package, nested or not.
    const match = /.*node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(resolved.url);
    // This repository's own packages resolve to their workspace folders.
    const own = /\\/packages\\/([^/]+)\\/dist\\//.exec(resolved.url);
    if (match) names.add(match[1]);
    else if (own) {
      names.add('@tracetape/' + own[1]);
      ownModules.add(resolved.url.slice(resolved.url.indexOf('/packages/') + 1));
    }
    return resolved;
  },
});
process.on('exit', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify({ names: [...names], ownModules: [...ownModules] })));
`,
  );
  const written = (): { names: string[]; ownModules: string[] } => JSON.parse(fs.readFileSync(out, 'utf8')) as { names: string[]; ownModules: string[] };
  return { preload, read: () => written().names, ownModules: () => written().ownModules };
}

describe('what a process loads at start', () => {
  it('tracetape replay runs from its bundle, without the HTTP client or the OTLP schema', async () => {
    const tracer = packageTracer();
    const store = path.join(work.dir, 'replay-store');
    const result = await runProcess(process.execPath, ['--import', pathToFileURL(tracer.preload).href, CLI, 'replay', '0af7651916cd43dd8448eb211c80319c', '--', 'node', '-e', ''], {
      ...NO_SERVER,
      TRACETAPE_DIR: store,
      TRACETAPE_LOG_DIR: path.join(store, 'log'),
    });
    // Nothing was recorded there: the command says so, having loaded everything it runs with.
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/record|store|trace/i);
    const loaded = tracer.read();
    for (const name of HEAVY_AND_UNUSED) expect(loaded).not.toContain(name);
    // The store, the log ingester and the replay's own code come from dist/bundle/ (the build wrote
    // it): no module of the workspace's packages is loaded one by one, besides the launcher (and the
    // register hook's entry is only looked up, to hand to the app).
    const modules = tracer.ownModules();
    expect(modules).toContain('packages/replay/dist/bundle/main.js');
    // What the bundle holds of a package, esbuild marks with the package's path: none of the chunks
    // loaded holds the heavy ones either.
    for (const chunk of modules.filter((url) => url.startsWith('packages/replay/dist/bundle/'))) {
      const text = fs.readFileSync(path.join(REPO_ROOT, chunk), 'utf8');
      for (const name of HEAVY_AND_UNUSED) expect(text.includes(`node_modules/${name}/`), `${chunk} holds ${name}`).toBe(false);
    }
    expect(modules.filter((url) => !url.startsWith('packages/replay/dist/bundle/')).sort()).toEqual([
      'packages/register/dist/index.js',
      'packages/replay/dist/cli.js',
      'packages/replay/dist/fresh-bundle.js',
    ]);
  });

  it('an app recorded with the register hook loads neither', async () => {
    const tracer = packageTracer();
    const app = path.join(work.dir, 'hello.mjs');
    fs.writeFileSync(app, "console.log('hello');\n");
    const store = path.join(work.dir, 'capture-store');
    const result = await runProcess(
      process.execPath,
      ['--import', pathToFileURL(tracer.preload).href, '--import', pathToFileURL(path.join(REPO_ROOT, 'packages/register/dist/index.js')).href, app],
      { ...NO_SERVER, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: store, TRACETAPE_LOG_DIR: path.join(store, 'log') },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('hello\n');
    const loaded = tracer.read();
    expect(loaded).toEqual(expect.arrayContaining(['@tracetape/register', '@opentelemetry/instrumentation']));
    for (const name of HEAVY_AND_UNUSED) expect(loaded).not.toContain(name);
  });
});
