// `npm run demo`: record a support agent that talks to an LLM and refunds an order, stop the
// model, then replay the run from its trace ID and check that it prints exactly the same bytes
// and that the shop, still listening, gets no request at all (so no second refund).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bold, demoEnvironment, dim, firstDifference, indent, run as runIn } from './demo-support.mjs';
import { startLlmServer } from './support-agent/llm-server.mjs';
import { startShopService } from './support-agent/shop-service.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/replay/dist/cli.js');
const agent = path.join(root, 'examples/support-agent/agent.mjs');
const agentArgs = [process.execPath, path.relative(root, agent)];
const shownAgent = 'node examples/support-agent/agent.mjs';

const stage = (n, title) => console.log(`\n${bold(`[${n}/5] ${title}`)}`);

const run = (args, env) => runIn(args, env, { cwd: root });

// Which tools a transcript called and which refund it got: enough to tell two runs apart.
// Calls made in the same model turn are joined with +, successive turns with →.
function summarize(transcript) {
  const turns = [];
  let sameTurn = 0; // tool lines still to come from the current multi-call turn
  for (const line of transcript.split('\n')) {
    const many = line.match(/^agent +· (\d+) tool calls at once/);
    if (many) {
      sameTurn = Number(many[1]);
      turns.push([]);
      continue;
    }
    const tool = line.match(/^tool +› (\w+)\(/)?.[1];
    if (!tool) continue;
    if (sameTurn > 0) {
      turns.at(-1).push(tool);
      sameTurn -= 1;
    } else turns.push([tool]);
  }
  const refund = transcript.match(/rf_[0-9a-f]+/)?.[0] ?? 'no refund';
  return `${turns.map((t) => t.join(' + ')).join(' → ') || 'no tool calls'}, ${refund}`;
}

if (!fs.existsSync(cli)) {
  console.error(`demo: ${path.relative(root, cli)} is missing; build first with \`npm run build\` (or use \`npm run demo\`).`);
  process.exit(1);
}

// `--keep <dir>`: record into <dir> and keep it, to look at the runs afterwards with `tracetape ui`.
const keepAt = process.argv.indexOf('--keep');
const keptDir = keepAt === -1 ? undefined : path.resolve(process.argv[keepAt + 1] ?? '.tracetape-demo');
if (keptDir) fs.mkdirSync(keptDir, { recursive: true });
const storeDir = keptDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-demo-'));
let llm;
let shop;
let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  await Promise.all([llm?.close(), shop?.close()]);
  if (keptDir) console.log(`\nThe store is kept at ${keptDir}. See its runs: TRACETAPE_DIR=${path.relative(process.cwd(), keptDir) || '.'} npx tracetape ui`);
  else fs.rmSync(storeDir, { recursive: true, force: true });
}
process.once('SIGINT', () => cleanup().finally(() => process.exit(130)));

async function main() {
  console.log(bold('tracetape demo: record a support agent, then replay it without reaching the model or the shop'));

  stage(1, 'Starting a local OpenAI-compatible model and a shop service');
  llm = await startLlmServer();
  shop = await startShopService();
  const width = Math.max(llm.url.length, shop.url.length, storeDir.length);
  console.log(`    model   ${llm.url.padEnd(width)}   ${dim('answers differently on every call, like a sampled LLM')}`);
  console.log(`    shop    ${shop.url.padEnd(width)}   ${dim('POST /refunds moves money: a side effect')}`);
  console.log(`    store   ${storeDir.padEnd(width)}   ${dim(keptDir ? 'kept (--keep)' : 'temporary; your own .tracetape/ is untouched')}`);

  const env = demoEnvironment({
    OPENAI_BASE_URL: llm.url,
    SHOP_URL: shop.url,
    TRACETAPE_DIR: storeDir,
    AGENT_STREAM: process.env.AGENT_STREAM ?? '1',
    OTEL_SERVICE_NAME: 'support-agent',
  });

  stage(2, `Two plain runs without tracetape: \`${shownAgent}\``);
  const plain = [await run(agentArgs, env), await run(agentArgs, env)];
  for (const [i, r] of plain.entries()) {
    if (r.code !== 0) throw new Error(`plain run ${i + 1} failed (exit ${r.code}):\n${r.stderr}`);
    console.log(`    run ${i + 1}: ${summarize(r.stdout.toString('utf8'))}`);
  }
  const plainSame = plain[0].stdout.equals(plain[1].stdout);
  console.log(`    same output twice: ${plainSame ? 'yes (by chance)' : 'no'}; the shop now holds ${shop.refunds.length} refunds, one per run`);

  stage(3, `Recording: tracetape record -- ${shownAgent}`);
  console.log(dim('    (starts the embedded ClickHouse store; the first run can take a few seconds)'));
  const refundsBefore = shop.refunds.length;
  const requestsBefore = shop.requestCount();
  const recorded = await run([process.execPath, cli, 'record', '--', ...agentArgs], env);
  const traceId = recorded.stderr.match(/recorded trace ([0-9a-f]{32})/)?.[1];
  if (recorded.code !== 0 || !traceId) {
    console.log(indent(recorded.stderr || '(no stderr)'));
    throw new Error(`recording failed (exit ${recorded.code}${traceId ? '' : ', no trace ID printed'})`);
  }
  console.log(indent(recorded.stdout.toString('utf8')));
  console.log(dim(indent(recorded.stderr)));
  console.log(`    trace ID: ${bold(traceId)}`);
  console.log(`    the recorded run made ${shop.requestCount() - requestsBefore} shop request(s) and ` +
    `${shop.refunds.length - refundsBefore} refund(s); the shop holds ${shop.refunds.length} in total`);

  stage(4, 'Stopping the model; the shop keeps listening and counts what reaches it');
  await llm.close();
  const shopRequestsAtStop = shop.requestCount();
  const refundsAtStop = shop.refunds.length;
  console.log(`    stopped ${llm.url}; ${shop.url} is still up, with ${refundsAtStop} refund(s) so far`);

  stage(5, `Replaying: tracetape replay ${traceId} -- ${shownAgent}`);
  const replayed = await run([process.execPath, cli, 'replay', traceId, '--', ...agentArgs], env);
  console.log(dim('    tracetape report:'));
  console.log(indent(replayed.stderr || '(no report)'));

  const identical = replayed.stdout.equals(recorded.stdout);
  if (!identical) {
    console.log('\n    replayed transcript:');
    console.log(indent(replayed.stdout.toString('utf8') || '(empty)'));
    console.log(`    first difference at ${firstDifference(recorded.stdout.toString('utf8'), replayed.stdout.toString('utf8'))}`);
  }
  // The report counts the suppressed side effects by method and path; look for the refund itself.
  const refundServed = /side effect(\(s\))? suppressed: .*POST \S*\/refunds/.test(replayed.stderr);
  // The shop is still listening: any request the replay let through would land here.
  const shopRequests = shop.requestCount() - shopRequestsAtStop;
  const refundedAgain = shop.refunds.length !== refundsAtStop;
  const ok = replayed.code === 0 && identical && shopRequests === 0 && !refundedAgain;

  console.log(`\n${bold('Verdict')}`);
  console.log(`    replay exit code: ${replayed.code}${replayed.code === 0 ? ' (clean replay)' : ''}`);
  console.log(`    replayed output identical: ${identical ? 'yes' : 'NO'} (${replayed.stdout.length} bytes vs ${recorded.stdout.length} recorded)`);
  console.log(`    requests that reached the shop during the replay: ${shopRequests}${shopRequests === 0 ? '' : ' (the replay was NOT isolated)'}`);
  console.log(`    refund POSTed again: ${refundedAgain ? 'YES' : 'no — side effect suppressed'}` +
    (refundServed ? ' (POST /refunds answered from the tape)' : ''));
  console.log(ok ? '\nThe run was replayed from its trace alone: same output, nothing sent to the model or the shop, no second refund.'
    : '\nThe replay did not reproduce the recording; see the report above.');
  return ok ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`\ndemo failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
