// A layer of bench/capture-floor.mjs: plain OpenTelemetry (bench/plain-otel-register.mjs) plus the
// socket-level interceptor tracetape captures with (@mswjs/interceptors' HttpRequestInterceptor),
// whose listeners read a copy of every request and response body as capture must, and keep
// nothing. What this adds over plain OpenTelemetry is the floor of capture at the socket level,
// before any tracetape code runs.
//   node --import ./bench/interceptor-only-register.mjs app.mjs
import './plain-otel-register.mjs';
import { HttpRequestInterceptor } from '@mswjs/interceptors/http';

const interceptor = new HttpRequestInterceptor();
interceptor.apply();
let bytesRead = 0;
interceptor.on('request', ({ request }) => {
  if (request.body) void request.clone().arrayBuffer().then((body) => (bytesRead += body.byteLength));
});
interceptor.on('response', ({ response }) => {
  void response.arrayBuffer().then((body) => (bytesRead += body.byteLength));
});
process.once('SIGTERM', () => {
  // Proof the copies were read: the service sends and receives ~8 KB per call.
  process.stderr.write(bytesRead > 0 ? '' : 'interceptor-only: no body was read\n');
  // Ended by the signal, as the other variants are (the bench checks how each child ended).
  process.kill(process.pid, 'SIGTERM');
});
