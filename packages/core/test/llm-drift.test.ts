import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  inputHash,
  llmSpanAttributes,
  ModelDriftError,
  modelDriftBetween,
  parseModelDriftAllowances,
  ReplayDivergenceError,
  TapeMatcher,
  type NormalizedRequest,
} from '@tracetape/core';
import { postJson } from './llm-fixtures.js';
import { makeEntry, makeTape } from './tape-fixtures.js';

const CHAT = 'https://api.openai.com/v1/chat/completions';
const GEMINI = 'https://generativelanguage.googleapis.com/v1beta/models';
const messages = [{ role: 'user', content: 'Summarise the ticket' }];
const chat = (extra: object) => ({ model: 'gpt-4o', messages, ...extra });

function tapeOf(...bodies: object[]) {
  return makeTape(bodies.map((body, i) => makeEntry({ step: i + 1, method: 'POST', url: CHAT, body: JSON.stringify(body), responseBody: `{"n":${i + 1}}` })));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, nothing was thrown');
}

const take = (matcher: TapeMatcher, request: NormalizedRequest) => matcher.take(request, inputHash(request));

describe('modelDriftBetween', () => {
  it('is a drift when only the model and sampling parameters differ', () => {
    const recorded = postJson(CHAT, chat({ temperature: 0.7, max_tokens: 100, seed: 1 }));
    expect(modelDriftBetween(recorded, postJson(CHAT, { ...chat({}), model: 'gpt-4.1', max_completion_tokens: 100 }))).toEqual({
      recordedModel: 'gpt-4o',
      currentModel: 'gpt-4.1',
    });
    expect(modelDriftBetween(recorded, postJson(CHAT, chat({ temperature: 0, stop: ['\n'] })))).toEqual({
      recordedModel: 'gpt-4o',
      currentModel: 'gpt-4o',
    });
  });

  it('is not a drift when anything else differs too', () => {
    const recorded = postJson(CHAT, chat({}));
    expect(modelDriftBetween(recorded, postJson(CHAT, { model: 'gpt-4.1', messages: [{ role: 'user', content: 'other' }] }))).toBeUndefined();
    expect(modelDriftBetween(recorded, postJson(CHAT, chat({ model: 'gpt-4.1', stream: true })))).toBeUndefined();
    expect(modelDriftBetween(recorded, postJson('https://other.test/v1/chat/completions', chat({ model: 'gpt-4.1' })))).toBeUndefined();
    expect(modelDriftBetween(postJson('https://x.test/a', { model: 'a' }), postJson('https://x.test/a', { model: 'b' }))).toBeUndefined();
  });

  it('sees a Gemini model change in the URL path and sampling changes in generationConfig', () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
    const recorded = postJson(`${GEMINI}/gemini-2.0-flash:generateContent`, { ...body, generationConfig: { temperature: 1, responseMimeType: 'text/plain' } });
    expect(modelDriftBetween(recorded, postJson(`${GEMINI}/gemini-2.5-flash:generateContent`, { ...body, generationConfig: { responseMimeType: 'text/plain', topK: 3 } }))).toEqual({
      recordedModel: 'gemini-2.0-flash',
      currentModel: 'gemini-2.5-flash',
    });
    // A config that held only sampling parameters is the same request as none.
    expect(modelDriftBetween(postJson(`${GEMINI}/g:generateContent`, { ...body, generationConfig: { seed: 4 } }), postJson(`${GEMINI}/g:generateContent`, body))).toBeDefined();
    expect(modelDriftBetween(recorded, postJson(`${GEMINI}/gemini-2.5-flash:streamGenerateContent`, { ...body, generationConfig: { responseMimeType: 'text/plain' } }))).toBeUndefined();
  });
});

describe('TapeMatcher and model drift', () => {
  it('blocks a drifted call with a ModelDriftError naming both models and how to allow it', () => {
    const matcher = new TapeMatcher(tapeOf(chat({})));
    const error = thrown(() => take(matcher, postJson(CHAT, chat({ model: 'gpt-4.1' }))));
    expect(error).toBeInstanceOf(ModelDriftError);
    const drift = error as ModelDriftError;
    expect(drift.code).toBe('TRACETAPE_MODEL_DRIFT');
    expect(drift.message).toContain('asks model "gpt-4.1", but step 1 was recorded with model "gpt-4o"');
    expect(drift.message).toContain('--allow-model-drift gpt-4o=gpt-4.1');
    expect(drift.details).toMatchObject({ step: 1, recordedModel: 'gpt-4o', currentModel: 'gpt-4.1', callIndex: 1 });
    expect(drift.details.diff).toEqual([{ path: 'body.model', recorded: '"gpt-4o"', current: '"gpt-4.1"' }]);
    const report = matcher.report();
    expect(report.blocked).toEqual([
      {
        callIndex: 1,
        method: 'POST',
        url: CHAT,
        reason: 'model-drift',
        closestStep: 1,
        diff: drift.details.diff,
        modelDrift: { recordedModel: 'gpt-4o', currentModel: 'gpt-4.1' },
      },
    ]);
    expect(report.unconsumed.map((step) => step.step)).toEqual([1]);
  });

  it('serves the recorded entry when the user allowed that drift, and says so in the report', () => {
    const matcher = new TapeMatcher(tapeOf(chat({}), chat({ messages: [{ role: 'user', content: 'again' }] })), {
      allowModelDrift: [{ from: 'gpt-4o', to: 'gpt-4.1' }],
    });
    const entry = take(matcher, postJson(CHAT, chat({ model: 'gpt-4.1', temperature: 0 })));
    expect(entry.step).toBe(1);
    const report = matcher.report();
    expect(report.served).toEqual([expect.objectContaining({ step: 1, modelDrift: { recordedModel: 'gpt-4o', currentModel: 'gpt-4.1' } })]);
    expect(report.blocked).toEqual([]);
    // Each recorded call serves once: a repeat has nothing left to drift from.
    expect(thrown(() => take(matcher, postJson(CHAT, chat({ model: 'gpt-4.1' }))))).toBeInstanceOf(ReplayDivergenceError);
  });

  it('still blocks a drift to a model the allowance does not name', () => {
    const matcher = new TapeMatcher(tapeOf(chat({})), { allowModelDrift: [{ from: 'gpt-4o', to: 'gpt-4.1' }] });
    expect(thrown(() => take(matcher, postJson(CHAT, chat({ model: 'o3' }))))).toBeInstanceOf(ModelDriftError);
  });

  it('prefers an exact recording over a drift, and reports other changes as ordinary divergences', () => {
    const matcher = new TapeMatcher(tapeOf(chat({ model: 'gpt-4.1' }), chat({})));
    expect(take(matcher, postJson(CHAT, chat({}))).step).toBe(2);
    const error = thrown(() => take(matcher, postJson(CHAT, { model: 'gpt-4o', messages: [{ role: 'user', content: 'changed' }] })));
    expect(error).toBeInstanceOf(ReplayDivergenceError);
  });
});

describe('allowances and attributes', () => {
  it('parses recorded=current pairs and refuses anything else with what to write', () => {
    expect(parseModelDriftAllowances(['gpt-4o=gpt-4.1', ' a = b '], 'test')).toEqual([
      { from: 'gpt-4o', to: 'gpt-4.1' },
      { from: 'a', to: 'b' },
    ]);
    for (const bad of ['gpt-4o', '=b', 'a=', 'a=b=c']) {
      const error = thrown(() => parseModelDriftAllowances([bad], '--allow-model-drift'));
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`--allow-model-drift: "${bad}" is not <recorded model>=<current model>`);
    }
  });

  it('gives the GenAI attributes with token counts as numbers, leaving out what is unknown', () => {
    expect(llmSpanAttributes({ provider: 'anthropic', operation: 'chat', requestModel: 'c', inputTokens: 3, outputTokens: 0 })).toEqual({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'c',
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 0,
    });
  });
});
