// A layer of bench/capture-floor.mjs: plain OpenTelemetry (bench/plain-otel-register.mjs) plus a
// copy of every outbound request and response body taken from Node's diagnostics channels instead
// of a socket-level interceptor, keeping nothing. It measures what capture could cost without
// re-parsing the traffic: undici (behind fetch) publishes its body chunks (Node 24.4+); node:http
// publishes the request and the response, whose bodies are copied by wrapping that one request's
// write/end and that one response's push.
//   node --import ./bench/channels-only-register.mjs app.mjs
import './plain-otel-register.mjs';
import dc from 'node:diagnostics_channel';

let bytesCopied = 0;
const copy = (chunks, chunk) => chunks.push(Buffer.from(chunk));
const total = (chunks) => Buffer.concat(chunks).length;

// undici: one entry per request object, settled when its trailers (the end of the body) arrive.
const calls = new WeakMap();
dc.subscribe('undici:request:create', ({ request }) => calls.set(request, { sent: [], received: [] }));
dc.subscribe('undici:request:bodyChunkSent', ({ request, chunk }) => {
  const call = calls.get(request);
  if (call) copy(call.sent, chunk);
});
dc.subscribe('undici:request:bodyChunkReceived', ({ request, chunk }) => {
  const call = calls.get(request);
  if (call) copy(call.received, chunk);
});
dc.subscribe('undici:request:trailers', ({ request }) => {
  const call = calls.get(request);
  if (!call) return;
  bytesCopied += total(call.sent) + total(call.received);
  calls.delete(request);
});

// node:http
dc.subscribe('http.client.request.start', ({ request }) => {
  const sent = [];
  const { write, end } = request;
  request.write = function (chunk, ...rest) {
    if (chunk && typeof chunk !== 'function') copy(sent, chunk);
    return write.call(this, chunk, ...rest);
  };
  request.end = function (chunk, ...rest) {
    if (chunk && typeof chunk !== 'function') copy(sent, chunk);
    bytesCopied += total(sent);
    return end.call(this, chunk, ...rest);
  };
});
dc.subscribe('http.client.response.finish', ({ response }) => {
  const received = [];
  const { push } = response;
  response.push = function (chunk, ...rest) {
    if (chunk === null) bytesCopied += total(received);
    else copy(received, chunk);
    return push.call(this, chunk, ...rest);
  };
});

process.once('SIGTERM', () => {
  // Proof the copies were taken: the service sends and receives ~8 KB per call.
  process.stderr.write(bytesCopied > 0 ? '' : 'channels-only: no body was copied\n');
  process.exit(0);
});
