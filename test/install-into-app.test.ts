import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, REPO_ROOT, runProcess, tempDir, type CliResult } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { chatCompletionAnswer } from './support/openai-compatible.js';

// What a user does with the packages: pack them, install the tarballs into an app of their own with
// one `npm install`, record it with `npx tracetape record`, replay it offline. The app lives outside
// the repository and resolves everything from its own node_modules (npm may serve them from its cache).

// Packing builds, and the install unpacks chDB's ~550 MB engine: minutes on a busy two-core machine.
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const RUN_TIMEOUT_MS = 3 * 60_000;

const packed = tempDir('tracetape-pack-');
const app = tempDir('tracetape-app-');
let llm: CountingServer | undefined;
/** The run the record test records, which the later tests replay. */
let recordedRun: { traceId: string; stdout: string; env: Record<string, string> } | undefined;

/**
 * The environment of a user's shell, not of this test run: `npm test` exports npm_config_* (its
 * local prefix is the repository: an install would land there) and the outer TRACETAPE_* settings
 * would point the app at another store. `node` is the Node the tests run on.
 */
function userEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|INIT_CWD$|TRACETAPE_)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = [path.dirname(process.execPath), process.env.PATH].join(path.delimiter);
  return { ...env, ...extra };
}

/** Runs a command in a clean environment; `runProcess` merges into process.env, so this starts from nothing. */
function runAsUser(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): Promise<CliResult> {
  const env = userEnv(extra);
  const unset = Object.fromEntries(Object.keys(process.env).filter((key) => !(key in env)).map((key) => [key, undefined]));
  return runProcess(command, args, { ...unset, ...env }, cwd);
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

beforeAll(async () => {
  const pack = await runAsUser('npm', ['run', 'pack', '--', packed.dir], REPO_ROOT);
  if (pack.code !== 0) {
    throw new Error(`\`npm run pack\` failed (exit code ${pack.code}); fix what it says, then run this test again:\n${tail(pack.stdout)}\n${tail(pack.stderr)}`);
  }
  const tarballs = fs.readdirSync(packed.dir).filter((name) => name.endsWith('.tgz'));
  expect(tarballs.sort()).toEqual(
    ['clickhouse', 'collector', 'core', 'instrumentation', 'log', 'register', 'replay', 'ui'].map((name) => `tracetape-${name}-0.1.0.tgz`).concat('tracetape-0.1.0.tgz').sort(),
  );

  fs.writeFileSync(path.join(app.dir, 'package.json'), `${JSON.stringify({ name: 'my-agent', private: true, type: 'module' }, null, 2)}\n`);
  fs.copyFileSync(path.join(FIXTURES, 'openai-app.mjs'), path.join(app.dir, 'app.mjs'));
  // The README's one command, plus the app's own dependency: the openai SDK, from the registry.
  const openai = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).devDependencies.openai as string;
  const install = await runAsUser(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs.map((name) => path.join(packed.dir, name)), `openai@${openai}`],
    app.dir,
  );
  if (install.code !== 0) {
    throw new Error(
      `npm install of the packed tarballs into the fresh app ${app.dir} failed (exit code ${install.code}). ` +
        `A dependency the tarballs declare may be missing from the registry and the npm cache, or a tarball may be incomplete ` +
        `(\`tar tzf ${packed.dir}/<name>.tgz\`). npm said:\n${tail(install.stderr)}\n${tail(install.stdout)}`,
    );
  }
  llm = await startCountingServer(({ body }, n) => chatCompletionAnswer(body, n));
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await llm?.close();
  app.remove();
  packed.remove();
});

describe('tracetape installed into a fresh app from its tarballs', () => {
  it('resolves the hook, the API and the test helpers from the app\'s own node_modules', async () => {
    const script = `for (const name of ['tracetape/register', 'tracetape/api', 'tracetape/testing', '@tracetape/register', 'openai']) console.log(import.meta.resolve(name));`;
    const resolved = await runAsUser('node', ['--input-type=module', '-e', script], app.dir);
    expect(resolved.code, resolved.stderr).toBe(0);
    const own = pathToFileURL(path.join(fs.realpathSync(app.dir), 'node_modules')).href;
    for (const url of resolved.stdout.trim().split('\n')) expect(url.startsWith(`${own}/`), `${url} is not under ${own}`).toBe(true);
    const api = await runAsUser('node', ['--input-type=module', '-e', `const { run } = await import('tracetape'); console.log(typeof run);`], app.dir);
    expect(api.stdout.trim(), api.stderr).toBe('function');
    // tracetape ui serves its page from the installed package: built into the tarball, nothing fetched.
    for (const file of ['index.html', 'app.js', 'app.css']) expect(fs.existsSync(path.join(app.dir, 'node_modules/@tracetape/ui/dist/web', file)), file).toBe(true);
    // tracetape runs from the CLI's bundle as installed: in the tarball, and taken as current there
    // (npm writes the files it unpacks in any order, so their times cannot say), not left for the
    // modules. A preload lists what the installed command loads.
    const preload = path.join(app.dir, 'list-modules.mjs');
    fs.writeFileSync(
      preload,
      "import { registerHooks } from 'node:module';\n" +
        "registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); process.stderr.write(`loaded ${r.url}\\n`); return r; } });\n",
    );
    const help = await runAsUser('node', ['--import', pathToFileURL(preload).href, 'node_modules/tracetape/bin/tracetape.js', '--help'], app.dir);
    expect(help.code, help.stderr).toBe(0);
    const loaded = help.stderr.split('\n').filter((line) => line.startsWith('loaded ')).map((line) => line.slice('loaded '.length));
    expect(loaded).toContain(`${own}/@tracetape/replay/dist/bundle/main.js`);
    expect(loaded).not.toContain(`${own}/@tracetape/replay/dist/main.js`);
  });

  it('records a real openai-SDK app with npx tracetape record, and replays it with the model stopped: same output, no call out', async () => {
    const server = llm!;
    const appEnv = { OPENAI_BASE_URL: `${server.url}/v1`, STREAM: '1' };
    const recorded = await runAsUser('npx', ['tracetape', 'record', '--', 'node', 'app.mjs'], app.dir, appEnv);
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toMatch(/^streamed \d+ chunks: answer 1: /);
    expect(server.count()).toBe(1);
    const traceId = recordedTraceId(recorded.stderr);

    // The README's other way in: the hook on the node command line, no CLI around it.
    const hooked = await runAsUser('node', ['--import', 'tracetape/register', 'app.mjs'], app.dir, appEnv);
    expect(hooked.code, hooked.stderr).toBe(0);
    expect(server.count()).toBe(2);
    const traces = await runAsUser('npx', ['tracetape', 'traces', '--json'], app.dir);
    expect(traces.code, traces.stderr).toBe(0);
    const runs = traces.stdout.trim().split('\n').map((line) => JSON.parse(line) as { traceId: string; name: string; recordedCalls: number });
    expect(runs.filter((run) => run.name === 'app.mjs' && run.recordedCalls === 1)).toHaveLength(2);
    expect(runs.map((run) => run.traceId)).toContain(traceId);

    await server.close();
    llm = undefined;
    const { replayed, loaded, own } = await replayListingModules(traceId, appEnv);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.stderr).toMatch(/1 served, 0 unconsumed, 0 blocked/);
    recordedRun = { traceId, stdout: recorded.stdout, env: appEnv };
    // The app's replay preloads the hook's bundle as installed (its externals declared by
    // @tracetape/register), not the hook's modules one by one.
    expect(loaded).toContain(`${own}/@tracetape/register/dist/hook/index.js`);
    expect(loaded).not.toContain(`${own}/@tracetape/register/dist/index.js`);
    // One import-in-the-middle, the app's: the one the loader thread's OpenTelemetry hook hands modules to.
    const middle = loaded.filter((url) => url.includes('/import-in-the-middle/'));
    expect(middle).toContain(`${own}/import-in-the-middle/index.js`);
    for (const url of middle) expect(url.startsWith(`${own}/import-in-the-middle/`), url).toBe(true);
    // The store is the app's own, where a user's would be: .tracetape/ in the app's directory.
    expect(fs.existsSync(path.join(app.dir, '.tracetape'))).toBe(true);
  }, RUN_TIMEOUT_MS);

  it("preloads the hook's modules where the app's own import-in-the-middle splits the bundle's copy from the loader thread's", async () => {
    expect(recordedRun, 'the record test recorded nothing').toBeDefined();
    // Another major version at the top of node_modules: npm nests a copy of tracetape's under
    // @tracetape/register and another under @opentelemetry/instrumentation, whose loader hook
    // would hand modules to the second while the bundle listened on the first.
    const install = await runAsUser('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', 'import-in-the-middle@^1'], app.dir);
    expect(install.code, install.stderr).toBe(0);
    const nested = ['@tracetape/register', '@opentelemetry/instrumentation'].map((owner) => path.join(app.dir, 'node_modules', owner, 'node_modules/import-in-the-middle'));
    for (const copy of nested) expect(fs.existsSync(copy), copy).toBe(true);

    const { replayed, loaded, own } = await replayListingModules(recordedRun!.traceId, recordedRun!.env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recordedRun!.stdout);
    expect(replayed.stderr).toMatch(/1 served, 0 unconsumed, 0 blocked/);
    expect(loaded).toContain(`${own}/@tracetape/register/dist/index.js`);
    expect(loaded).not.toContain(`${own}/@tracetape/register/dist/hook/index.js`);
  }, INSTALL_TIMEOUT_MS);

  it("opens a ClickHouse server with the client @tracetape/clickhouse declares, not an older one of the app's own", async () => {
    // The app's own client, older than tracetape's range: npm nests tracetape's under @tracetape/clickhouse.
    const install = await runAsUser('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '@clickhouse/client@1.0.0'], app.dir);
    expect(install.code, install.stderr).toBe(0);
    const preload = path.join(app.dir, 'list-cli-modules.cjs');
    fs.writeFileSync(
      preload,
      "if (process.argv[1]?.endsWith('tracetape.js')) require('node:module').registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); process.stderr.write(`loaded ${r.url}\\n`); return r; } });\n",
    );
    // Nothing listens there: the command loads the client, fails to connect and says so.
    const listed = await runAsUser('node', ['node_modules/tracetape/bin/tracetape.js', 'traces'], app.dir, {
      TRACETAPE_CLICKHOUSE_URL: 'http://127.0.0.1:9',
      NODE_OPTIONS: `--require=${preload}`,
    });
    expect(listed.code, listed.stderr).toBe(2);
    expect(listed.stderr).toContain('http://127.0.0.1:9');
    const own = pathToFileURL(path.join(fs.realpathSync(app.dir), 'node_modules')).href;
    const clients = listed.stderr
      .split('\n')
      .filter((line) => line.startsWith('loaded ') && line.includes('/@clickhouse/client/'))
      .map((line) => line.slice('loaded '.length));
    expect(clients.length).toBeGreaterThan(0);
    for (const url of clients) expect(url.startsWith(`${own}/@tracetape/clickhouse/node_modules/@clickhouse/client/`), url).toBe(true);
  }, INSTALL_TIMEOUT_MS);
});

/**
 * `npx tracetape replay <traceId> -- node app.mjs` with a CommonJS preload, which runs before any
 * --import (the hook's among them) and lists what the app resolves (npx and tracetape get it
 * too, and list nothing).
 */
async function replayListingModules(traceId: string, env: Record<string, string>): Promise<{ replayed: CliResult; loaded: string[]; own: string }> {
  const preload = path.join(app.dir, 'list-app-modules.cjs');
  fs.writeFileSync(
    preload,
    "if (process.argv[1]?.endsWith('app.mjs')) require('node:module').registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); process.stderr.write(`loaded ${r.url}\\n`); return r; } });\n",
  );
  const replayed = await runAsUser('npx', ['tracetape', 'replay', traceId, '--', 'node', 'app.mjs'], app.dir, { ...env, NODE_OPTIONS: `--require=${preload}` });
  const loaded = replayed.stderr.split('\n').filter((line) => line.startsWith('loaded ')).map((line) => line.slice('loaded '.length));
  return { replayed, loaded, own: pathToFileURL(path.join(fs.realpathSync(app.dir), 'node_modules')).href };
}
