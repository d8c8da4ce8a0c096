// Real database servers for tests: PostgreSQL, MariaDB and Redis from the Debian packages
// (scripts/install-databases.sh), each started by the test file that needs it, on a free loopback
// port, in a fresh directory under the temp dir named tracetape-<kind>-*, with a password.
//
// As root (CI), every server runs as the user `nobody` (PostgreSQL refuses root), through
// `setpriv`, which also asks the kernel to signal the server when the test process dies, so a
// crashed test file does not leave a server behind. stop() waits until the server and every process
// it started (PostgreSQL's backends each make a session of their own) are gone, then removes the
// directory.
//
// connectionCount() on each server tells how many connections clients opened since it started,
// not counting the helper's own admin connections (createDatabase(), connectionCount() itself):
// a test reads it before and after a replay and asserts that no connection happened.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { freePort } from './free-port.js';

export const INSTALL_COMMAND = 'sudo scripts/install-databases.sh';
const HOST = '127.0.0.1';

export interface StartOptions {
  /** How long the server may take to accept connections before start fails (default 30 s). */
  startTimeoutMs?: number;
  /** The password of the server's user; default: a fresh random one (`password` on the handle). */
  password?: string;
}

interface ServerBase {
  host: typeof HOST;
  port: number;
  password: string;
  /** The server's directory (data, socket, log): removed by stop(). */
  dir: string;
  /** Everything the server printed. */
  logPath: string;
  /** The server's process (it leads its own process group). */
  pid: number;
  /** Milliseconds from the start call to the first connection the server accepted. */
  startupMs: number;
  /**
   * Connections clients opened since the server started (failed logins included), not counting
   * the helper's own admin connections. Read it before and after, compare.
   */
  connectionCount(): Promise<number>;
  /** The last lines of the server's log. */
  logTail(lines?: number): string;
  /** Stops the server (and any process it left), then removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** One database of a SQL server: `url` for the client's connection string, `config` for its options object. */
export interface SqlDatabase {
  name: string;
  url: string;
  config: { host: string; port: number; user: string; password: string; database: string };
}

export interface PostgresServer extends ServerBase {
  kind: 'postgresql';
  /** Major version, e.g. "15". */
  version: string;
  /** Superuser, password authentication (scram-sha-256) over TCP. */
  user: string;
  /** postgres://user:password@127.0.0.1:port/postgres */
  url: string;
  /** Unix socket directory (connections there are trusted, no password). */
  socketDir: string;
  /** CREATE DATABASE name: a database of the test file's own. */
  createDatabase(name: string): Promise<SqlDatabase>;
}

export interface MariaDbServer extends ServerBase {
  kind: 'mariadb';
  /** A user with every privilege (`'user'@'%'`), password authentication. */
  user: string;
  /** mysql://user:password@127.0.0.1:port/ */
  url: string;
  socketPath: string;
  /** CREATE DATABASE name: a database of the test file's own. */
  createDatabase(name: string): Promise<SqlDatabase>;
}

export interface RedisDatabase {
  name: string;
  /** The logical database (SELECT index), 1 to 63, one per createDatabase() call. */
  db: number;
  /** `${name}:`, for code that shares a database. */
  keyPrefix: string;
  /** redis://:password@127.0.0.1:port/db, for ioredis and node-redis alike. */
  url: string;
  config: { host: string; port: number; password: string; db: number };
}

export interface RedisServer extends ServerBase {
  kind: 'redis';
  /** redis://:password@127.0.0.1:port (the default user, database 0). */
  url: string;
  /** The next logical database, with its own key space. */
  createDatabase(name: string): Promise<RedisDatabase>;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/**
 * initdb into a fresh directory (superuser `tracetape`, scram-sha-256 over TCP), then `postgres`
 * on 127.0.0.1 with fsync off and log_connections on. connectionCount() counts the server's
 * "connection received" log lines, less the helper's own connections: it opens no connection.
 */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const started = Date.now();
  const { bin, version } = postgresBinaries();
  const runAs = serverUser();
  const dir = makeServerDir('postgresql', runAs);
  const user = 'tracetape';
  const password = options.password ?? newPassword();
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const data = path.join(dir, 'data');
  const socketDir = path.join(dir, 'socket');
  const logPath = path.join(dir, 'postgres.log');
  try {
    makeOwnedDir(socketDir, runAs);
    const pwfile = writeOwnedFile(path.join(dir, 'pwfile'), `${password}\n`, runAs);
    await runStep('initdb', path.join(bin, 'initdb'), [
      '-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust',
      '-E', 'UTF8', '--locale=C', '--no-sync',
    ], { runAs, dir, logPath: path.join(dir, 'initdb.log'), timeoutMs });
    fs.rmSync(pwfile);

    const { port, process: server } = await launchOnFreePort('postgres', (port) => ({
      bin: path.join(bin, 'postgres'),
      args: [
        '-D', data, '-p', String(port),
        '-c', `listen_addresses=${HOST}`, '-c', `unix_socket_directories=${socketDir}`,
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
        '-c', 'shared_buffers=16MB', '-c', 'jit=off', '-c', 'logging_collector=off', '-c', 'log_connections=on',
      ],
    }), { runAs, dir, logPath, timeoutMs, ready: /database system is ready to accept connections/, deathSignal: 'SIGQUIT' });

    let own = 0;
    const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
      own += 1;
      const client = new pg.Client({ host: HOST, port, user, password, database: 'postgres' });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    };
    const config = (database: string) => ({ host: HOST, port, user, password, database });
    return track<PostgresServer>({
      kind: 'postgresql', version, host: HOST, port, user, password, dir, logPath, socketDir, pid: server.pid,
      url: `postgres://${user}:${encodeURIComponent(password)}@${HOST}:${port}/postgres`,
      startupMs: Date.now() - started,
      async connectionCount() {
        const received = fs.readFileSync(logPath, 'utf8').match(/connection received: /g)?.length ?? 0;
        return received - own;
      },
      async createDatabase(name) {
        checkName(name);
        await admin((client) => client.query(`CREATE DATABASE "${name}"`));
        return { name, url: `postgres://${user}:${encodeURIComponent(password)}@${HOST}:${port}/${name}`, config: config(name) };
      },
      logTail: (lines) => tail(logPath, lines),
      stop: () => stopServer(server, dir, 'SIGINT'),
    });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function postgresBinaries(): { bin: string; version: string } {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root)
        .filter((version) => ['initdb', 'postgres'].every((name) => isExecutable(path.join(root, version, 'bin', name))))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw notInstalled('PostgreSQL', 'postgresql', `${root}/<version>/bin/postgres and initdb`);
  return { bin: path.join(root, versions[0], 'bin'), version: versions[0] };
}

// ---------------------------------------------------------------------------------------------
// MariaDB

/**
 * mariadb-install-db into a fresh directory, then `mariadbd` on 127.0.0.1 with an --init-file
 * that creates the user `tracetape`@`%` with the password and every privilege (no
 * --skip-grant-tables). connectionCount() reads the global status `Connections` (every connection
 * attempt) over an admin connection, less its value when the server became ready and the admin
 * connections made since, this one included.
 */
export async function startMariaDb(options: StartOptions = {}): Promise<MariaDbServer> {
  const started = Date.now();
  const server = firstExisting(['/usr/sbin/mariadbd', '/usr/sbin/mysqld']);
  const installDb = firstExisting(['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db']);
  if (!server || !installDb) throw notInstalled('MariaDB', 'mariadb-server', '/usr/sbin/mariadbd and /usr/bin/mariadb-install-db');
  const runAs = serverUser();
  const dir = makeServerDir('mariadb', runAs);
  const user = 'tracetape';
  const password = options.password ?? newPassword();
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const data = path.join(dir, 'data');
  const socketPath = path.join(dir, 'mariadbd.sock');
  const logPath = path.join(dir, 'mariadbd.log');
  try {
    makeOwnedDir(path.join(dir, 'tmp'), runAs);
    await runStep('mariadb-install-db', installDb, [
      '--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db',
    ], { runAs, dir, logPath: path.join(dir, 'install-db.log'), timeoutMs });
    const quoted = `'${password.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const initFile = writeOwnedFile(path.join(dir, 'init.sql'), [
      `CREATE USER '${user}'@'%' IDENTIFIED BY ${quoted};`,
      `GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%' WITH GRANT OPTION;`,
    ].join('\n'), runAs);

    const { port, process: child } = await launchOnFreePort('mariadbd', (port) => ({
      bin: server,
      args: [
        '--no-defaults', `--datadir=${data}`, `--port=${port}`, `--bind-address=${HOST}`, `--socket=${socketPath}`,
        `--pid-file=${path.join(dir, 'mariadbd.pid')}`, `--tmpdir=${path.join(dir, 'tmp')}`, `--init-file=${initFile}`,
        '--skip-name-resolve', '--skip-log-bin', '--innodb-buffer-pool-size=16M', '--innodb-flush-log-at-trx-commit=0',
      ],
    }), { runAs, dir, logPath, timeoutMs, ready: /ready for connections/, deathSignal: 'SIGKILL' });

    const config = (database: string) => ({ host: HOST, port, user, password, database });
    let own = 0;
    const admin = async <T>(fn: (connection: mysql.Connection) => Promise<T>): Promise<T> => {
      own += 1;
      const connection = await mysql.createConnection({ host: HOST, port, user, password });
      try {
        return await fn(connection);
      } finally {
        await connection.end();
      }
    };
    const connections = (connection: mysql.Connection) =>
      connection.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Connections'").then(([rows]) => Number(rows[0]!.Value));
    let baseline: number;
    try {
      baseline = await admin(connections);
      fs.rmSync(initFile);
    } catch (error) {
      await stopServer(child, dir, 'SIGKILL');
      throw new Error(`mariadbd started but ${user} could not log in: ${(error as Error).message}\n${tail(logPath)}`);
    }
    own = 0;
    return track<MariaDbServer>({
      kind: 'mariadb', host: HOST, port, user, password, dir, logPath, socketPath, pid: child.pid,
      url: `mysql://${user}:${encodeURIComponent(password)}@${HOST}:${port}/`,
      startupMs: Date.now() - started,
      async connectionCount() {
        const now = await admin(connections);
        return now - baseline - own;
      },
      async createDatabase(name) {
        checkName(name);
        await admin((connection) => connection.query(`CREATE DATABASE \`${name}\``));
        return { name, url: `mysql://${user}:${encodeURIComponent(password)}@${HOST}:${port}/${name}`, config: config(name) };
      },
      logTail: (lines) => tail(logPath, lines),
      stop: () => stopServer(child, dir, 'SIGTERM'),
    });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

/**
 * `redis-server` on 127.0.0.1 with --requirepass, no persistence, 64 logical databases.
 * connectionCount() reads `total_connections_received` (INFO stats) over an admin connection (raw
 * RESP, no client library), less its value when the server became ready and the admin
 * connections made since, this one included.
 */
export async function startRedis(options: StartOptions = {}): Promise<RedisServer> {
  const started = Date.now();
  const server = firstExisting(['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
  if (!server) throw notInstalled('Redis', 'redis-server', '/usr/bin/redis-server');
  const runAs = serverUser();
  const dir = makeServerDir('redis', runAs);
  const password = options.password ?? newPassword();
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const logPath = path.join(dir, 'redis.log');
  const databases = 64;
  try {
    const { port, process: child } = await launchOnFreePort('redis-server', (port) => ({
      bin: server,
      args: [
        '--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no',
        '--requirepass', password, '--databases', String(databases), '--daemonize', 'no', '--logfile', '',
      ],
    }), { runAs, dir, logPath, timeoutMs, ready: /Ready to accept connections/, deathSignal: 'SIGKILL' });

    let own = 0;
    const received = async () => {
      own += 1;
      const info = await redisAdmin(port, password, ['INFO', 'stats']);
      const match = /total_connections_received:(\d+)/.exec(info);
      if (!match) throw new Error(`redis INFO stats has no total_connections_received:\n${info}`);
      return Number(match[1]);
    };
    let baseline: number;
    try {
      baseline = await received();
    } catch (error) {
      await stopServer(child, dir, 'SIGKILL');
      throw new Error(`redis-server started but did not answer: ${(error as Error).message}\n${tail(logPath)}`);
    }
    own = 0;
    let nextDb = 1;
    return track<RedisServer>({
      kind: 'redis', host: HOST, port, password, dir, logPath, pid: child.pid,
      url: `redis://:${encodeURIComponent(password)}@${HOST}:${port}`,
      startupMs: Date.now() - started,
      async connectionCount() {
        const now = await received();
        return now - baseline - own;
      },
      async createDatabase(name) {
        checkName(name);
        if (nextDb >= databases) throw new Error(`this redis-server has ${databases} databases, all given out`);
        const db = nextDb++;
        return {
          name, db, keyPrefix: `${name}:`,
          url: `redis://:${encodeURIComponent(password)}@${HOST}:${port}/${db}`,
          config: { host: HOST, port, password, db },
        };
      },
      logTail: (lines) => tail(logPath, lines),
      stop: () => stopServer(child, dir, 'SIGTERM'),
    });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** AUTH, one command, QUIT over one connection; the command's reply as text (RESP, unparsed). */
function redisAdmin(port: number, password: string, command: string[]): Promise<string> {
  const encode = (parts: string[]) =>
    `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, HOST);
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('redis admin connection timed out')));
    socket.on('connect', () => socket.write(encode(['AUTH', password]) + encode(command) + encode(['QUIT'])));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const reply = Buffer.concat(chunks).toString('utf8');
      if (!reply.startsWith('+OK\r\n')) reject(new Error(`redis AUTH failed: ${reply.split('\r\n')[0]}`));
      else resolve(reply.slice('+OK\r\n'.length));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Processes and directories

/**
 * The server and every live process it started: its process group, and its descendants (which may
 * have left the group, as PostgreSQL's backends do).
 */
export function serverProcesses(server: { pid: number }): number[] {
  const all = processTable();
  const found = new Set<number>();
  for (const p of all) if (p.pid === server.pid || p.pgrp === server.pid) found.add(p.pid);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (found.has(p.ppid) && !found.has(p.pid)) (found.add(p.pid), (grew = true));
  }
  return [...found].sort((a, b) => a - b);
}

interface ProcessEntry { pid: number; ppid: number; pgrp: number; start: string }

/** Every live (not zombie) process, from /proc. `start` tells a process from a later one with its pid. */
function processTable(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ... starttime (22nd): comm may hold spaces and ')', so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') continue;
    entries.push({ pid: Number(name), ppid: Number(fields[1]), pgrp: Number(fields[2]), start: fields[19]! });
  }
  return entries;
}

interface RunAs { uid: number; gid: number }

/** As root, the servers run as `nobody`; otherwise as the user running the tests. */
function serverUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith('nobody:'));
  if (!line) throw new Error('running as root, the test databases run as the user nobody, which /etc/passwd lacks');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const SETPRIV = firstExisting(['/usr/bin/setpriv', '/bin/setpriv']);

/** The command line that runs bin as runAs and gets deathSignal when this process dies. */
function command(bin: string, args: string[], runAs: RunAs | null, deathSignal: NodeJS.Signals): [string, string[]] {
  if (!SETPRIV) {
    if (runAs) throw new Error('running as root, the test databases need setpriv (Debian package util-linux) to run as nobody');
    return [bin, args];
  }
  const user = runAs ? [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups'] : [];
  return [SETPRIV, [...user, `--pdeathsig=${deathSignal}`, '--', bin, ...args]];
}

function makeServerDir(kind: string, runAs: RunAs | null): string {
  const tmp = fs.realpathSync(os.tmpdir());
  if (runAs) {
    // nobody is "other" on every directory above: each must let others through.
    for (let dir = tmp; ; dir = path.dirname(dir)) {
      if ((fs.statSync(dir).mode & 0o001) === 0) {
        throw new Error(`the test databases run as nobody, who cannot enter ${dir} (the temp dir is ${tmp}): point TMPDIR elsewhere, e.g. TMPDIR=/tmp`);
      }
      if (dir === path.dirname(dir)) break;
    }
  }
  const dir = fs.mkdtempSync(path.join(tmp, `tracetape-${kind}-`));
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
  return dir;
}

function makeOwnedDir(dir: string, runAs: RunAs | null): string {
  fs.mkdirSync(dir, { mode: 0o700 });
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
  return dir;
}

function writeOwnedFile(file: string, text: string, runAs: RunAs | null): string {
  fs.writeFileSync(file, text, { mode: 0o600 });
  if (runAs) fs.chownSync(file, runAs.uid, runAs.gid);
  return file;
}

function serverEnv(dir: string): NodeJS.ProcessEnv {
  // Nothing of the test's environment (PGPASSWORD, REDISCLI_AUTH, MYSQL_*...) reaches the servers.
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
}

interface StepOptions { runAs: RunAs | null; dir: string; logPath: string; timeoutMs: number }

/** Runs a setup command (initdb, mariadb-install-db) to completion, its output into logPath. */
async function runStep(what: string, bin: string, args: string[], options: StepOptions): Promise<void> {
  const [file, argv] = command(bin, args, options.runAs, 'SIGKILL');
  const output = fs.openSync(options.logPath, 'a');
  const child = spawn(file, argv, { cwd: options.dir, env: serverEnv(options.dir), stdio: ['ignore', output, output] });
  fs.closeSync(output);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  try {
    const { code, signal, error } = await exitOf(child);
    if (error) throw new Error(`${what} could not be started (${file}): ${error.message}`);
    if (code !== 0) {
      const how = signal === 'SIGKILL' ? `was killed after ${options.timeoutMs} ms` : `failed (${signal ?? `exit ${code}`})`;
      throw new Error(`${what} ${how}:\n${tail(options.logPath)}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

interface Server { child: ChildProcess; pid: number; exit: Promise<Exit>; exited: boolean }

interface LaunchOptions extends StepOptions {
  /** What the log says once the server accepts connections. */
  ready: RegExp;
  /** What the kernel sends the server if this process dies first. */
  deathSignal: NodeJS.Signals;
}

/**
 * Starts the server on a free port, in a process group of its own, and waits for its log to say it
 * is ready. Another process may take the port between freePort() and the bind: then again, on
 * another port (three tries).
 */
async function launchOnFreePort(
  what: string,
  commandFor: (port: number) => { bin: string; args: string[] },
  options: LaunchOptions,
): Promise<{ port: number; process: Server }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const { bin, args } = commandFor(port);
    try {
      return { port, process: await launch(what, bin, args, options) };
    } catch (error) {
      if (attempt === 3 || !(error as { portTaken?: boolean }).portTaken) throw error;
    }
  }
}

async function launch(what: string, bin: string, args: string[], options: LaunchOptions): Promise<Server> {
  const [file, argv] = command(bin, args, options.runAs, options.deathSignal);
  const from = fs.existsSync(options.logPath) ? fs.statSync(options.logPath).size : 0;
  const output = fs.openSync(options.logPath, 'a');
  const child = spawn(file, argv, { cwd: options.dir, env: serverEnv(options.dir), stdio: ['ignore', output, output], detached: true });
  fs.closeSync(output);
  const server: Server = { child, pid: child.pid ?? -1, exit: exitOf(child), exited: false };
  void server.exit.then(() => (server.exited = true));
  child.unref();

  const deadline = Date.now() + options.timeoutMs;
  let why: string | undefined;
  for (;;) {
    const log = readFrom(options.logPath, from);
    if (options.ready.test(log)) return server;
    if (server.exited) {
      const { code, signal, error } = await server.exit;
      why = error ? `could not be started (${file}): ${error.message}` : `exited (${signal ?? `code ${code}`}) before accepting connections`;
    } else if (Date.now() > deadline) {
      why = `did not accept connections within ${options.timeoutMs} ms`;
    }
    if (why) {
      await stopProcesses(server, 'SIGKILL');
      const error = new Error(`${what} ${why}. The end of its log (${options.logPath}):\n${tail(options.logPath)}`);
      Object.assign(error, { portTaken: /address already in use/i.test(readFrom(options.logPath, from)) });
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Exit { code: number | null; signal: NodeJS.Signals | null; error?: Error }

/** How the child ended; `error` when it could not be started at all. */
function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Signals the server and waits for it (SIGKILL to all it started after 15 s), then until every
 * process it had started is gone too.
 */
async function stopProcesses(server: Server, signal: NodeJS.Signals): Promise<void> {
  const seen = new Map<number, string>(); // pid -> start time, of every process the server ran
  const look = () => {
    const table = new Map(processTable().map((p) => [p.pid, p.start]));
    for (const pid of serverProcesses(server)) if (table.has(pid)) seen.set(pid, table.get(pid)!);
    return table;
  };
  const alive = () => {
    const table = look();
    return [...seen].filter(([pid, start]) => table.get(pid) === start).map(([pid]) => pid);
  };
  const killAll = () => {
    for (const pid of alive()) kill(pid, 'SIGKILL');
  };
  look();
  if (!server.exited) {
    kill(server.pid, signal);
    const deadline = Date.now() + 15_000;
    while (!server.exited && Date.now() < deadline) {
      look(); // what it starts or still has while it shuts down
      await delay(20);
    }
    if (!server.exited) killAll();
    await server.exit;
  }
  const deadline = Date.now() + 10_000;
  while (alive().length > 0) {
    if (Date.now() > deadline) throw new Error(`processes of the stopped server are still alive: ${alive().join(', ')}`);
    await delay(20);
    if (Date.now() > deadline - 5_000) killAll();
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const live = new Map<string, { pid: number }>();

function track<T extends { dir: string; pid: number; stop(): Promise<void> }>(server: T): T {
  if (live.size === 0) cleanUpOnExit();
  live.set(server.dir, server);
  const stop = server.stop;
  let stopping: Promise<void> | undefined;
  server.stop = () => (stopping ??= stop.call(server).finally(() => live.delete(server.dir)));
  return server;
}

let cleanUpInstalled = false;

/**
 * A test file that ends without stop() (or fails before it) leaves nothing running or on disk:
 * at exit, and on the SIGTERM with which vitest ends its workers, every server still running is
 * killed and its directory removed. (A SIGKILLed test process leaves the directories; the servers
 * get their parent-death signal.)
 */
function cleanUpOnExit(): void {
  if (cleanUpInstalled) return;
  cleanUpInstalled = true;
  const cleanUp = () => {
    for (const [dir, server] of live) {
      for (const pid of serverProcesses(server)) kill(pid, 'SIGKILL');
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      } catch {
        // the temp dir's tracetape-* are removed by CI anyway
      }
    }
    live.clear();
  };
  process.once('exit', cleanUp);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUp();
      // Then what the signal would have done: end the process, unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

async function stopServer(server: Server, dir: string, signal: NodeJS.Signals): Promise<void> {
  await stopProcesses(server, signal);
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Small things

function notInstalled(name: string, pkg: string, what: string): Error {
  return new Error(`${name} is not installed (no ${what}). The tests start a real ${name} server from the Debian package ${pkg}: run ${INSTALL_COMMAND}`);
}

function firstExisting(paths: string[]): string | undefined {
  return paths.find(isExecutable);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function newPassword(): string {
  return `tt-${randomBytes(12).toString('hex')}`;
}

function checkName(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name ${JSON.stringify(name)}: use lower-case letters, digits and _ (at most 63)`);
}

function readFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

function tail(file: string, lines = 30): string {
  return readFrom(file, 0).trimEnd().split('\n').slice(-lines).join('\n');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
