import { canonicalJson, type NormalizedRequest, type RecordedResponse, type Redactor, type RequestKeyRules } from '@tracetape/core';
import { redactJsonDocument, utf8Body } from '../database/json-document.js';
import { encodeValue, type EncodedValue } from '../database/value-codec.js';
import type { GrpcMetadata, GrpcMethodDefinition, MetadataValue } from './grpc-types.js';

/** One gRPC call as the app made it. */
export interface GrpcCallRequest {
  /** The channel's target without its resolver scheme (`localhost:50051`). */
  target: string;
  /** `/package.Service/Method` */
  path: string;
  kind: 'unary' | 'server_stream' | 'client_stream' | 'bidi_stream';
  /** The messages the app sent, as the objects it passed (value-codec.ts keeps bytes, bigints…). */
  messages: EncodedValue[];
}

export function callKind(definition: Pick<GrpcMethodDefinition, 'requestStream' | 'responseStream'>): GrpcCallRequest['kind'] {
  if (definition.requestStream) return definition.responseStream ? 'bidi_stream' : 'client_stream';
  return definition.responseStream ? 'server_stream' : 'unary';
}

/** `dns:localhost:50051`, `dns:///localhost:50051` → `localhost:50051`; other schemes (unix:) kept. */
export function targetName(target: string): string {
  return target.replace(/^dns:(\/\/[^/]*\/)?/, '');
}

/**
 * gRPC's rules for requestKey(): the messages are redacted as one JSON document (body paths such
 * as `$.messages[0].apiKey`, secret patterns), then keyed by kind, target, method path and
 * messages. Metadata is kept (redacted) but not keyed, as HTTP headers are not: it carries
 * per-run values (deadlines, trace context, tokens).
 */
export function grpcKeyRules(): RequestKeyRules<GrpcCallRequest, GrpcCallRequest, NormalizedRequest> {
  return {
    redact: (call, redactor) => ({ ...call, messages: redactJsonDocument(call.messages, redactor) }),
    normalize: (call) => ({
      method: call.kind,
      url: `grpc://${call.target}${call.path}`,
      headers: {},
      body: utf8Body(canonicalJson({ messages: call.messages })),
    }),
  };
}

export function encodeMessage(message: unknown): EncodedValue {
  return encodeValue(message);
}

/** Metadata as header pairs, binary values in base64, secret values redacted. */
export function metadataPairs(metadata: GrpcMetadata | undefined, redactor: Redactor): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, values] of Object.entries(metadata?.toJSON() ?? {})) {
    for (const value of values) pairs.push([key, typeof value === 'string' ? value : Buffer.from(value).toString('base64')]);
  }
  return redactor.headers(pairs);
}

/** What a call got back, as the tape keeps it. */
export interface GrpcOutcome {
  headers: Array<[string, string]>;
  /** Each response message's bytes on the wire, base64. */
  messages: string[];
  /** The same messages as the app got them, for reading the tape and diffs. */
  decoded: EncodedValue[];
  /**
   * For each response message, how many messages the app had sent when it came: what lets a
   * bidirectional stream be replayed as the conversation it was. Absent: after all of them.
   */
  afterSent?: number[];
  code: number;
  details: string;
  trailers: Array<[string, string]>;
}

export function outcomeResponse(outcome: GrpcOutcome, redactor: Redactor): RecordedResponse {
  const body = {
    messages: outcome.messages,
    decoded: redactJsonDocument(outcome.decoded, redactor),
    ...(outcome.afterSent ? { afterSent: outcome.afterSent } : {}),
    code: outcome.code,
    details: redactor.text(outcome.details),
    trailers: outcome.trailers,
  };
  // OK reads as success wherever a status is shown (the timeline, reports); an error keeps its gRPC code.
  return {
    status: outcome.code === 0 ? 200 : outcome.code,
    statusText: outcome.code === 0 ? 'OK' : body.details,
    headers: outcome.headers,
    body: utf8Body(JSON.stringify(body)),
    complete: true,
    ...(outcome.code === 0 ? {} : { error: `${outcome.code} ${body.details}` }),
  };
}

/** The recorded outcome read back from a tape entry's response. */
export function readOutcome(response: RecordedResponse): GrpcOutcome {
  const body = JSON.parse(response.body?.data ?? '{}') as Partial<GrpcOutcome>;
  return {
    headers: response.headers,
    messages: body.messages ?? [],
    decoded: body.decoded ?? [],
    ...(body.afterSent ? { afterSent: body.afterSent } : {}),
    code: body.code ?? (response.status === 200 ? 0 : response.status),
    details: body.details ?? response.statusText,
    trailers: body.trailers ?? [],
  };
}

/** Metadata rebuilt for the app with its own Metadata class: `-bin` keys as bytes. */
export function toMetadata(pairs: ReadonlyArray<[string, string]>, Metadata: new () => GrpcMetadata): GrpcMetadata {
  const metadata = new Metadata();
  for (const [key, value] of pairs) {
    const typed: MetadataValue = key.endsWith('-bin') ? Buffer.from(value, 'base64') : value;
    metadata.add(key, typed);
  }
  return metadata;
}

/** The messages a recorded or current call sent, from its normalised request. */
export function sentMessages(normalized: NormalizedRequest): unknown[] {
  const body = JSON.parse(normalized.body?.data ?? '{}') as { messages?: unknown[] };
  return body.messages ?? [];
}

/**
 * Methods named as reads by the API design conventions most gRPC services follow (Google's AIP:
 * Get, List, and the like): not side effects. Any other method may change something, so it counts
 * as one.
 */
const READ_METHOD = /^(Get|List|Search|Find|Query|Read|Lookup|Describe|Check|Count|Watch)(?![a-z])/;

export function isReadMethod(path: string): boolean {
  return READ_METHOD.test(path.slice(path.lastIndexOf('/') + 1));
}
