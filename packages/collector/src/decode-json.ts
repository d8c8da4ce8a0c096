import { MalformedRequestError } from './errors.js';
import type { OtlpAnyValue, OtlpKeyValue, OtlpLink, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan, OtlpTraceRequest } from './otlp-model.js';

/*
 * OTLP/JSON per the OTLP spec: the protobuf JSON mapping with lowerCamelCase keys, except that
 * trace and span IDs are hex (not base64) and enums are their numbers. Per the protobuf JSON
 * mapping the original snake_case names, enum names, and 64-bit integers as either strings or
 * numbers are accepted too. Unknown keys are ignored; a known key with a wrong type is an error
 * that names its place in the document, so a sender can find its bug.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const INTEGER = /^-?\d+$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
/**
 * How deep array and kvlist attribute values may nest. The decoder and the row conversion recurse
 * per level, so without a bound a small deeply nested body overflows the stack (a 500, found by
 * fuzzing); protobufjs refuses deeper than 100 messages (about 48 levels) on the protobuf path.
 */
const MAX_VALUE_DEPTH = 64;

function fail(path: string, expected: string, got: Json | undefined): never {
  const shown = got === undefined ? 'nothing' : preview(got);
  throw new MalformedRequestError(`${path || 'the document'} should be ${expected}, not ${shown}`);
}

/** A short rendering of a wrong value; a deeply nested one is too deep for JSON.stringify's stack. */
function preview(value: Json): string {
  try {
    return JSON.stringify(value).slice(0, 60);
  } catch {
    return Array.isArray(value) ? 'a deeply nested array' : 'a deeply nested object';
  }
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A field by its JSON name or its proto name; null means absent, as in the protobuf JSON mapping. */
function get(object: JsonObject, key: string): Json | undefined {
  const value = object[key] ?? object[snakeCase(key)];
  return value === null ? undefined : value;
}

function object(value: Json | undefined, path: string): JsonObject | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  return value;
}

function list<T>(parent: JsonObject, key: string, path: string, item: (value: Json, path: string) => T): T[] {
  const value = get(parent, key);
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${path}.${key}`, 'an array', value);
  return value.map((entry, i) => item(entry, `${path}.${key}[${i}]`));
}

function string(parent: JsonObject, key: string, path: string): string {
  const value = get(parent, key);
  if (value === undefined) return '';
  if (typeof value !== 'string') fail(`${path}.${key}`, 'a string', value);
  return value;
}

function integer(value: Json | undefined, path: string): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && INTEGER.test(value)) return BigInt(value);
  return fail(path, 'an integer (a decimal string or a number)', value);
}

function enumValue(parent: JsonObject, key: string, path: string, names: string[]): number {
  const value = get(parent, key);
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && names.includes(value)) return names.indexOf(value);
  return fail(`${path}.${key}`, `an enum number (or one of ${names.join(', ')})`, value);
}

function hexId(parent: JsonObject, key: string, path: string): string {
  const value = string(parent, key, path);
  if (!HEX.test(value)) fail(`${path}.${key}`, 'a hex ID', value);
  return value.toLowerCase();
}

function double(value: Json, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fail(path, 'a number', value);
}

function anyValue(json: Json | undefined, path: string, depth = 0): OtlpAnyValue {
  if (depth > MAX_VALUE_DEPTH) throw new MalformedRequestError(`${path} nests attribute values deeper than ${MAX_VALUE_DEPTH} levels`);
  const value = object(json, path);
  if (!value) return { kind: 'empty' };
  let field: Json | undefined;
  if ((field = get(value, 'stringValue')) !== undefined) {
    if (typeof field !== 'string') fail(`${path}.stringValue`, 'a string', field);
    return { kind: 'string', value: field };
  }
  if ((field = get(value, 'boolValue')) !== undefined) {
    if (typeof field !== 'boolean') fail(`${path}.boolValue`, 'true or false', field);
    return { kind: 'bool', value: field };
  }
  if ((field = get(value, 'intValue')) !== undefined) return { kind: 'int', value: integer(field, `${path}.intValue`) };
  if ((field = get(value, 'doubleValue')) !== undefined) return { kind: 'double', value: double(field, `${path}.doubleValue`) };
  if ((field = get(value, 'arrayValue')) !== undefined) {
    const array = object(field, `${path}.arrayValue`)!;
    return { kind: 'array', values: list(array, 'values', `${path}.arrayValue`, (v, p) => anyValue(v, p, depth + 1)) };
  }
  if ((field = get(value, 'kvlistValue')) !== undefined) {
    const kvlist = object(field, `${path}.kvlistValue`)!;
    return { kind: 'kvlist', values: list(kvlist, 'values', `${path}.kvlistValue`, (v, p) => keyValue(v, p, depth + 1)) };
  }
  if ((field = get(value, 'bytesValue')) !== undefined) {
    if (typeof field !== 'string' || !BASE64.test(field)) fail(`${path}.bytesValue`, 'base64', field);
    return { kind: 'bytes', value: Buffer.from(field, 'base64') };
  }
  return { kind: 'empty' };
}

function keyValue(json: Json, path: string, depth = 0): OtlpKeyValue {
  const kv = object(json, path) ?? fail(path, 'an object', json);
  return { key: string(kv, 'key', path), value: anyValue(get(kv, 'value'), `${path}.value`, depth) };
}

function link(json: Json, path: string): OtlpLink {
  const l = object(json, path) ?? fail(path, 'an object', json);
  return {
    traceId: hexId(l, 'traceId', path),
    spanId: hexId(l, 'spanId', path),
    traceState: string(l, 'traceState', path),
    attributes: list(l, 'attributes', path, keyValue),
  };
}

function span(json: Json, path: string): OtlpSpan {
  const s = object(json, path) ?? fail(path, 'an object', json);
  const status = object(get(s, 'status'), `${path}.status`);
  return {
    traceId: hexId(s, 'traceId', path),
    spanId: hexId(s, 'spanId', path),
    traceState: string(s, 'traceState', path),
    parentSpanId: hexId(s, 'parentSpanId', path),
    name: string(s, 'name', path),
    kind: enumValue(s, 'kind', path, SPAN_KIND_NAMES),
    startTimeUnixNano: integer(get(s, 'startTimeUnixNano'), `${path}.startTimeUnixNano`),
    endTimeUnixNano: integer(get(s, 'endTimeUnixNano'), `${path}.endTimeUnixNano`),
    attributes: list(s, 'attributes', path, keyValue),
    events: list(s, 'events', path, (e, p) => {
      const event = object(e, p) ?? fail(p, 'an object', e);
      return {
        timeUnixNano: integer(get(event, 'timeUnixNano'), `${p}.timeUnixNano`),
        name: string(event, 'name', p),
        attributes: list(event, 'attributes', p, keyValue),
      };
    }),
    links: list(s, 'links', path, link),
    status: status
      ? { code: enumValue(status, 'code', `${path}.status`, STATUS_CODE_NAMES), message: string(status, 'message', `${path}.status`) }
      : { code: 0, message: '' },
  };
}

function scopeSpans(json: Json, path: string): OtlpScopeSpans {
  const ss = object(json, path) ?? fail(path, 'an object', json);
  const scope = object(get(ss, 'scope'), `${path}.scope`);
  return {
    scope: { name: scope ? string(scope, 'name', `${path}.scope`) : '', version: scope ? string(scope, 'version', `${path}.scope`) : '' },
    spans: list(ss, 'spans', path, span),
  };
}

function resourceSpans(json: Json, path: string): OtlpResourceSpans {
  const rs = object(json, path) ?? fail(path, 'an object', json);
  const resource = object(get(rs, 'resource'), `${path}.resource`);
  return {
    resourceAttributes: resource ? list(resource, 'attributes', `${path}.resource`, keyValue) : [],
    scopeSpans: list(rs, 'scopeSpans', path, scopeSpans),
  };
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest. @throws MalformedRequestError */
export function decodeJsonRequest(body: Uint8Array): OtlpTraceRequest {
  let document: Json;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as Json;
  } catch (error) {
    throw new MalformedRequestError(`it is not JSON (${error instanceof Error ? error.message : String(error)})`, error);
  }
  const root = object(document, '') ?? fail('', 'an object', document);
  return { resourceSpans: list(root, 'resourceSpans', '$', resourceSpans) };
}
