// PostgreSQL and Redis for `npm run demo:databases`: the ones DEMO_DATABASE_URL and DEMO_REDIS_URL
// point at, or servers started here, on loopback, in a temporary directory, from the binaries
// the machine has (Debian's packages, or Homebrew's on a Mac). Nothing is installed; a missing
// server is named with the command that installs it.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HOST = '127.0.0.1';
const INSTALL = 'sudo scripts/install-databases.sh (Debian, Ubuntu), or brew install postgresql redis (macOS)';

export class MissingServerError extends Error {
  constructor(what, looked) {
    super(
      `${what} is not installed (looked for ${looked}). Install it with ${INSTALL}, ` +
        'or point DEMO_DATABASE_URL and DEMO_REDIS_URL at servers of your own.',
    );
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

function postgresBin() {
  const debian = '/usr/lib/postgresql';
  const version = fs.existsSync(debian) ? fs.readdirSync(debian).filter((v) => fs.existsSync(path.join(debian, v, 'bin/postgres'))).sort((a, b) => b - a)[0] : undefined;
  if (version) return path.join(debian, version, 'bin');
  const initdb = onPath('initdb');
  if (initdb) return path.dirname(initdb);
  throw new MissingServerError('PostgreSQL', `${debian}/<version>/bin and initdb on PATH`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// PostgreSQL refuses to run as root: as root, the servers run as `nobody`, in a directory it owns.
const asRoot = process.getuid?.() === 0;
function owned(dir) {
  fs.mkdirSync(dir, { recursive: true });
  if (asRoot) fs.chownSync(dir, 65534, 65534);
  return dir;
}
function command(bin, args) {
  return asRoot ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--pdeathsig=SIGTERM', bin, ...args]] : [bin, args];
}

function launch(bin, args, logFile, ready, timeoutMs = 30_000) {
  const [file, argv] = command(bin, args);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (chunk) => {
    log += chunk;
    fs.appendFileSync(logFile, chunk);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${path.basename(bin)} did not start within ${timeoutMs} ms:\n${log.slice(-2000)}`)), timeoutMs);
    const check = () => {
      if (!ready.test(log)) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      resolve(child);
    };
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code, signal) => fail(new Error(`${path.basename(bin)} exited (${signal ?? code}) before it was ready:\n${log.slice(-2000)}`)));
  });
}

function stopped(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill(signal);
  });
}

/** A PostgreSQL server of its own in `dir` (which the servers' user must be able to enter), trusting local connections. */
export async function startPostgres(dir) {
  const bin = postgresBin();
  const data = path.join(owned(dir), 'data');
  const initdb = spawnSync(...command(path.join(bin, 'initdb'), ['-D', data, '-U', 'demo', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']), { encoding: 'utf8' });
  if (initdb.status !== 0) throw new Error(`initdb failed:\n${initdb.stderr || initdb.stdout}`);
  const port = await freePort();
  const child = await launch(
    path.join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-c', `listen_addresses=${HOST}`, '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off'],
    path.join(dir, 'postgres.log'),
    /database system is ready to accept connections/,
  );
  return { url: `postgres://demo@${HOST}:${port}/postgres`, stop: () => stopped(child, 'SIGINT') };
}

async function startRedis(dir) {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'].find((file) => fs.existsSync(file)) ?? onPath('redis-server');
  if (!bin) throw new MissingServerError('Redis', 'redis-server');
  const port = await freePort();
  const child = await launch(
    bin,
    ['--port', String(port), '--bind', HOST, '--dir', owned(dir), '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    path.join(dir, 'redis.log'),
    /Ready to accept connections/,
  );
  return { url: `redis://${HOST}:${port}`, stop: () => stopped(child, 'SIGTERM') };
}

/**
 * The servers to use, and how to stop the ones started here (which also removes their files).
 * `redis: false` when only PostgreSQL is wanted.
 */
export async function findOrStartServers({ redis: wantRedis = true } = {}) {
  const found = { postgres: process.env.DEMO_DATABASE_URL, redis: process.env.DEMO_REDIS_URL };
  // Its own directory, which the servers' user (nobody, when run as root) can enter.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-demo-servers-'));
  fs.chmodSync(dir, 0o755);
  const started = [{ stop: async () => fs.rmSync(dir, { recursive: true, force: true }) }];
  try {
    const postgres = found.postgres ? { url: found.postgres } : await startPostgres(path.join(dir, 'postgres'));
    if (postgres.stop) started.unshift(postgres);
    const redis = !wantRedis ? { url: undefined } : found.redis ? { url: found.redis } : await startRedis(path.join(dir, 'redis'));
    if (redis.stop) started.unshift(redis);
    return {
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      startedHere: { postgres: Boolean(postgres.stop), redis: Boolean(redis.stop) },
      stop: () => stopAll(started),
    };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

/** The servers first, then their directory. */
async function stopAll(started) {
  for (const server of started) await server.stop();
}
