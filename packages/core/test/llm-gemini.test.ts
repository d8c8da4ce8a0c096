import { describe, expect, it } from 'vitest';
import { recognizeLlmCall } from '@tracetape/core';
import { jsonResponse, postJson, sse, streamedResponse } from './llm-fixtures.js';

const BASE = 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash';
const body = { contents: [{ role: 'user', parts: [{ text: 'Say hi' }] }], generationConfig: { temperature: 0.3 } };
const piece = (text: string, usage: object) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] } }],
  usageMetadata: usage,
  modelVersion: 'gemini-2.5-flash-001',
});

describe('Gemini generateContent', () => {
  it('reads the model from the path and usage from usageMetadata, thinking tokens counted as output', () => {
    const response = jsonResponse(piece('hi', { promptTokenCount: 6, candidatesTokenCount: 2, thoughtsTokenCount: 30, totalTokenCount: 38 }));
    expect(recognizeLlmCall(postJson(`${BASE}:generateContent`, body), response)).toEqual({
      provider: 'gcp.gemini',
      operation: 'generate_content',
      requestModel: 'gemini-2.5-flash',
      responseModel: 'gemini-2.5-flash-001',
      inputTokens: 6,
      outputTokens: 32,
    });
  });

  it('reads a server-sent event stream (alt=sse): the last piece holds the final usage', () => {
    const text = sse([
      { data: piece('h', { promptTokenCount: 6, candidatesTokenCount: 1 }) },
      { data: piece('i', { promptTokenCount: 6, candidatesTokenCount: 4 }) },
    ]);
    expect(recognizeLlmCall(postJson(`${BASE}:streamGenerateContent?alt=sse`, body), streamedResponse(text, 9))).toEqual({
      provider: 'gcp.gemini',
      operation: 'generate_content',
      requestModel: 'gemini-2.5-flash',
      responseModel: 'gemini-2.5-flash-001',
      inputTokens: 6,
      outputTokens: 4,
    });
  });

  it('reads a stream sent as one JSON array', () => {
    const text = JSON.stringify([piece('h', { promptTokenCount: 6, candidatesTokenCount: 1 }), piece('i', { promptTokenCount: 6, candidatesTokenCount: 5 })]);
    const info = recognizeLlmCall(postJson(`${BASE}:streamGenerateContent`, body), streamedResponse(text, 13, 'application/json'));
    expect(info).toMatchObject({ inputTokens: 6, outputTokens: 5, responseModel: 'gemini-2.5-flash-001' });
  });

  it('names Vertex AI as its own provider', () => {
    const url = 'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent';
    expect(recognizeLlmCall(postJson(url, body))).toEqual({ provider: 'gcp.vertex_ai', operation: 'generate_content', requestModel: 'gemini-2.0-flash' });
  });

  it('does not recognise other model methods', () => {
    expect(recognizeLlmCall(postJson(`${BASE}:countTokens`, body))).toBeUndefined();
    expect(recognizeLlmCall(postJson(`${BASE}:generateContent`, { prompt: 'no contents' }))).toBeUndefined();
  });
});
