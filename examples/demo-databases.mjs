// `npm run demo:databases`: the support agent with its orders and refunds in PostgreSQL and the
// customer's session in Redis. Records one run, stops the model, replays the trace, and checks
// that the output is the same and that neither database changed: no second refund row, no
// second visit in the session. The servers are the ones DEMO_DATABASE_URL and DEMO_REDIS_URL
// point at, or started here from the installed PostgreSQL and Redis.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';
import pg from 'pg';
import { bold, demoEnvironment, dim, firstDifference, indent, run as runIn } from './demo-support.mjs';
import { startLlmServer } from './support-agent/llm-server.mjs';
import { findOrStartServers, MissingServerError } from './support-agent/local-servers.mjs';
import { SCHEMA } from './support-agent/shop-database.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/replay/dist/cli.js');
const agentArgs = [process.execPath, 'examples/support-agent/agent.mjs'];
const shownAgent = 'node examples/support-agent/agent.mjs';
const stage = (n, title) => console.log(`\n${bold(`[${n}/5] ${title}`)}`);
const run = (args, env) => runIn(args, env, { cwd: root });

/** What the two databases hold that a replay must not change. */
async function snapshot(databaseUrl, redisUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const redis = new Redis(redisUrl);
  try {
    const refunds = (await client.query('SELECT count(*)::int AS n FROM refunds')).rows[0].n;
    const refunded = (await client.query("SELECT refunded FROM orders WHERE order_id = '1042'")).rows[0].refunded;
    const visits = Number((await redis.hget('session:dana.whitfield', 'visits')) ?? 0);
    return { refunds, refunded, visits };
  } finally {
    await client.end();
    redis.disconnect();
  }
}

if (!fs.existsSync(cli)) {
  console.error(`demo: ${path.relative(root, cli)} is missing; build first with \`npm run build\` (or use \`npm run demo:databases\`).`);
  process.exit(1);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-demo-databases-'));
let llm;
let servers;
async function cleanup() {
  await Promise.all([llm?.close(), servers?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.once('SIGINT', () => cleanup().finally(() => process.exit(130)));

async function main() {
  console.log(bold('tracetape demo: a support agent on PostgreSQL and Redis, recorded, then replayed without touching either'));

  stage(1, 'Starting a local model; finding or starting PostgreSQL and Redis');
  llm = await startLlmServer();
  servers = await findOrStartServers();
  const setup = new pg.Client({ connectionString: servers.databaseUrl });
  await setup.connect();
  for (const statement of SCHEMA) await setup.query(statement);
  await setup.end();
  const shown = (url, startedHere) => `${url.replace(/\/\/[^@/]*@/, '//')}   ${dim(startedHere ? 'started for this demo' : 'yours (DEMO_*_URL)')}`;
  console.log(`    model      ${llm.url}   ${dim('answers differently on every call')}`);
  console.log(`    postgres   ${shown(servers.databaseUrl, servers.startedHere.postgres)}`);
  console.log(`    redis      ${shown(servers.redisUrl, servers.startedHere.redis)}`);

  const env = demoEnvironment({
    OPENAI_BASE_URL: llm.url,
    DATABASE_URL: servers.databaseUrl,
    REDIS_URL: servers.redisUrl,
    TRACETAPE_DIR: path.join(tmp, 'store'),
    AGENT_STREAM: process.env.AGENT_STREAM ?? '1',
    OTEL_SERVICE_NAME: 'support-agent',
  });

  stage(2, `Recording: tracetape record -- ${shownAgent}`);
  const before = await snapshot(servers.databaseUrl, servers.redisUrl);
  const recorded = await run([process.execPath, cli, 'record', '--', ...agentArgs], env);
  const traceId = recorded.stderr.match(/recorded trace ([0-9a-f]{32})/)?.[1];
  if (recorded.code !== 0 || !traceId) {
    console.log(indent(recorded.stderr || '(no stderr)'));
    throw new Error(`recording failed (exit ${recorded.code}${traceId ? '' : ', no trace ID printed'})`);
  }
  console.log(indent(recorded.stdout.toString('utf8')));
  console.log(dim(indent(recorded.stderr)));
  const afterRecording = await snapshot(servers.databaseUrl, servers.redisUrl);
  console.log(`    the recorded run added ${afterRecording.refunds - before.refunds} refund row(s) and ${afterRecording.visits - before.visits} session visit(s)`);

  stage(3, `What the run asked the databases: tracetape tape ${traceId.slice(0, 12)}`);
  const tape = await run([process.execPath, cli, 'tape', traceId], env);
  console.log(indent(tape.stdout.toString('utf8').split('\n').filter((line) => / (postgres|redis) /.test(line)).join('\n')));

  stage(4, 'Stopping the model; PostgreSQL and Redis keep running, so a leak would show');
  await llm.close();
  console.log(`    stopped ${llm.url}`);

  stage(5, `Replaying: tracetape replay ${traceId} -- ${shownAgent}`);
  const replayed = await run([process.execPath, cli, 'replay', traceId, '--', ...agentArgs], env);
  console.log(dim('    tracetape report:'));
  console.log(indent(replayed.stderr || '(no report)'));
  const afterReplay = await snapshot(servers.databaseUrl, servers.redisUrl);

  const identical = replayed.stdout.equals(recorded.stdout);
  if (!identical) console.log(`    first difference at ${firstDifference(recorded.stdout.toString('utf8'), replayed.stdout.toString('utf8'))}`);
  const unchanged = afterReplay.refunds === afterRecording.refunds && afterReplay.visits === afterRecording.visits;
  const ok = replayed.code === 0 && identical && unchanged;
  console.log(`\n${bold('Verdict')}`);
  console.log(`    replay exit code: ${replayed.code}`);
  console.log(`    replayed output identical: ${identical ? 'yes' : 'NO'}`);
  console.log(`    refund rows: ${afterRecording.refunds} after recording, ${afterReplay.refunds} after the replay${afterReplay.refunds === afterRecording.refunds ? ' (unchanged: the INSERT was answered from the tape)' : ' (CHANGED)'}`);
  console.log(`    session visits in Redis: ${afterRecording.visits} after recording, ${afterReplay.visits} after the replay${afterReplay.visits === afterRecording.visits ? ' (unchanged)' : ' (CHANGED)'}`);
  console.log(ok ? '\nThe run was replayed from its trace alone: same output, no query or command reached PostgreSQL or Redis.'
    : '\nThe replay did not reproduce the recording; see the report above.');
  return ok ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`\ndemo failed: ${error.message}`);
  if (!(error instanceof MissingServerError) && error.stack) console.error(dim(error.stack));
  process.exitCode = 1;
} finally {
  await cleanup();
}
