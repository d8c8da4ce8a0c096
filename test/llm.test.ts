import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANTHROPIC_USAGE, anthropicMessagesAnswer } from './support/anthropic-compatible.js';
import { FIXTURES, queryRows, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { chatCompletionAnswer } from './support/openai-compatible.js';

// One embedded store for this file; each test records its own trace into it.
const store = tempDir('tracetape-llm-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
let openai: CountingServer;
let anthropic: CountingServer;

beforeAll(async () => {
  openai = await startCountingServer(({ body }, n) => chatCompletionAnswer(body, n));
  anthropic = await startCountingServer(({ body }, n) => anthropicMessagesAnswer(body, n));
});

afterAll(async () => {
  await openai.close();
  await anthropic.close();
  store.remove();
});

const OPENAI_APP = path.join(FIXTURES, 'llm-openai-app.mjs');
const ANTHROPIC_APP = path.join(FIXTURES, 'llm-anthropic-app.mjs');

interface GenAiRow {
  provider: string;
  operation: string;
  requestModel: string;
  responseModel: string;
  inputTokens: string;
  outputTokens: string;
  path: string;
}

/** The gen_ai.* attributes of the trace's spans, as stored (ClickHouse keeps attribute values as strings). */
async function genAiSpans(traceId: string): Promise<GenAiRow[]> {
  const sql = `SELECT SpanAttributes['gen_ai.provider.name'] AS provider, SpanAttributes['gen_ai.operation.name'] AS operation,
      SpanAttributes['gen_ai.request.model'] AS requestModel, SpanAttributes['gen_ai.response.model'] AS responseModel,
      SpanAttributes['gen_ai.usage.input_tokens'] AS inputTokens, SpanAttributes['gen_ai.usage.output_tokens'] AS outputTokens,
      path(SpanAttributes['url.full']) AS path
    FROM otel_traces WHERE TraceId = '${traceId}' AND mapContains(SpanAttributes, 'gen_ai.provider.name') ORDER BY Timestamp`;
  return queryRows<GenAiRow>(sql, env);
}

async function record(app: string, appEnv: Record<string, string>) {
  const recorded = await tracetape(['record', '--', 'node', app], { ...env, ...appEnv });
  expect(recorded.code, recorded.stderr).toBe(0);
  return { recorded, traceId: recordedTraceId(recorded.stderr) };
}

describe('LLM calls are recognised at capture and in the tape', () => {
  for (const stream of ['0', '1']) {
    const mode = stream === '1' ? 'streamed' : 'not streamed';

    it(`openai SDK, ${mode}: gen_ai.* attributes on the span, model and tokens on the tape, identical replay`, async () => {
      const appEnv = { OPENAI_BASE_URL: `${openai.url}/v1`, STREAM: stream };
      const { recorded, traceId } = await record(OPENAI_APP, appEnv);
      expect(recorded.stdout).toMatch(stream === '1' ? /^streamed: answer \d+: .* \(5 tokens\)$/m : /^answer from gpt-test: answer \d+: /);

      const spans = await genAiSpans(traceId);
      expect(spans).toHaveLength(1);
      // Usage of a streamed answer comes from its final chunk (the app asked for it with include_usage).
      expect(spans[0]).toMatchObject({
        provider: 'openai',
        operation: 'chat',
        requestModel: 'gpt-test',
        responseModel: 'gpt-test',
        inputTokens: '12',
        outputTokens: '5',
      });

      const timeline = await tracetape(['tape', traceId], env);
      expect(timeline.code, timeline.stderr).toBe(0);
      expect(timeline.stdout).toContain('openai chat gpt-test, 12 in / 5 out tokens');
      const tape = JSON.parse((await tracetape(['tape', traceId, '--json'], env)).stdout);
      expect(tape.entries[0].llm).toEqual({
        provider: 'openai',
        operation: 'chat',
        requestModel: 'gpt-test',
        responseModel: 'gpt-test',
        inputTokens: 12,
        outputTokens: 5,
      });

      openai.reset();
      const replayed = await tracetape(['replay', traceId, '--', 'node', OPENAI_APP], { ...env, ...appEnv });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
      expect(openai.count()).toBe(0);
      expect(replayed.stderr).toMatch(/1 served, 0 unconsumed, 0 blocked/);
    });

    it(`@anthropic-ai/sdk, ${mode}: gen_ai.* attributes on the span, model and tokens on the tape, identical replay`, async () => {
      const appEnv = { ANTHROPIC_BASE_URL: anthropic.url, STREAM: stream };
      const { recorded, traceId } = await record(ANTHROPIC_APP, appEnv);
      expect(recorded.stdout).toMatch(
        stream === '1' ? /^streamed \d+ deltas from claude-test-1-20250101: answer \d+: .* \(9 tokens\)$/m : /^answer from claude-test-1-20250101: answer \d+: /,
      );
      const input = ANTHROPIC_USAGE.input + ANTHROPIC_USAGE.cacheRead;

      const spans = await genAiSpans(traceId);
      expect(spans).toEqual([
        {
          provider: 'anthropic',
          operation: 'chat',
          requestModel: 'claude-test-1',
          responseModel: 'claude-test-1-20250101',
          inputTokens: String(input),
          outputTokens: String(ANTHROPIC_USAGE.output),
          path: '/v1/messages',
        },
      ]);

      const timeline = await tracetape(['tape', traceId], env);
      expect(timeline.stdout).toContain(`anthropic chat claude-test-1 -> claude-test-1-20250101, ${input} in / ${ANTHROPIC_USAGE.output} out tokens`);

      anthropic.reset();
      const replayed = await tracetape(['replay', traceId, '--', 'node', ANTHROPIC_APP], { ...env, ...appEnv });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
      expect(anthropic.count()).toBe(0);
    });
  }
});

describe('model drift', () => {
  it('blocks a replay whose openai call asks another model, and serves it with --allow-model-drift', async () => {
    const appEnv = { OPENAI_BASE_URL: `${openai.url}/v1`, STREAM: '0', MODEL: 'gpt-old' };
    const { recorded, traceId } = await record(OPENAI_APP, appEnv);
    openai.reset();

    const drifted = { ...env, ...appEnv, MODEL: 'gpt-new' };
    const blocked = await tracetape(['replay', traceId, '--', 'node', OPENAI_APP], drifted);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain(
      `MODEL DRIFT at call #1: POST ${openai.url}/v1/chat/completions asks model "gpt-new", but step 1 was recorded with model "gpt-old"`,
    );
    expect(blocked.stderr).toContain('--allow-model-drift gpt-old=gpt-new');
    expect(blocked.stderr.split('\n').find((line) => line.includes('body.model'))).toMatch(/"gpt-old"\s+"gpt-new"/);
    expect(blocked.stderr).toMatch(/0 served, 1 unconsumed, 1 blocked/);

    const allowed = await tracetape(['replay', traceId, '--allow-model-drift', 'gpt-old=gpt-new', '--', 'node', OPENAI_APP], drifted);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toBe(recorded.stdout);
    expect(allowed.stderr).toContain(`model drift allowed: step 1 POST ${openai.url}/v1/chat/completions was recorded with model "gpt-old"`);
    expect(allowed.stderr).toMatch(/1 served, 0 unconsumed, 0 blocked/);

    // An allowance for another pair does not cover this one.
    const other = await tracetape(['replay', traceId, '--allow-model-drift', 'gpt-old=gpt-other', '--', 'node', OPENAI_APP], drifted);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('MODEL DRIFT at call #1');
    expect(openai.count()).toBe(0);
  });

  it('blocks a streamed anthropic call whose model was edited in the code, and serves it when allowed', async () => {
    // Inside the repository, so the copied app still resolves @anthropic-ai/sdk.
    const work = tempDir('llm-anthropic-drift-', FIXTURES);
    try {
      const app = path.join(work.dir, 'agent.mjs');
      fs.copyFileSync(ANTHROPIC_APP, app);
      const appEnv = { ANTHROPIC_BASE_URL: anthropic.url, STREAM: '1' };
      const { recorded, traceId } = await record(app, appEnv);

      // The model moves on, and the temperature with it: still only a drift.
      const source = fs.readFileSync(app, 'utf8');
      fs.writeFileSync(app, source.replace("'claude-test-1'", "'claude-test-2'").replace('temperature: 0.7', 'temperature: 0.2'));
      anthropic.reset();
      const blocked = await tracetape(['replay', traceId, '--', 'node', app], { ...env, ...appEnv });
      expect(blocked.code).not.toBe(0);
      expect(blocked.stderr).toContain('asks model "claude-test-2", but step 1 was recorded with model "claude-test-1"');
      expect(blocked.stderr).toContain('--allow-model-drift claude-test-1=claude-test-2');

      const allowed = await tracetape(['replay', traceId, '--allow-model-drift', 'claude-test-1=claude-test-2', '--', 'node', app], { ...env, ...appEnv });
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stdout).toBe(recorded.stdout);
      expect(anthropic.count()).toBe(0);
    } finally {
      work.remove();
    }
  });

  it('refuses a malformed --allow-model-drift', async () => {
    const result = await tracetape(['replay', '--tape', '/nonexistent', '--allow-model-drift', 'gpt-old', '--', 'node', '-e', '1'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--allow-model-drift: "gpt-old" is not <recorded model>=<current model>');
  });
});
