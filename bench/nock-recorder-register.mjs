// A peer recorder in bench/capture-overhead.mjs: plain OpenTelemetry (bench/plain-otel-register.mjs)
// plus nock's recorder with full bodies and request headers, as a test suite records a cassette.
// What it recorded is taken out every second and counted, not written anywhere: the row measures
// what nock's capture costs the app, leaving out any persistence (which tracetape's rows include).
//   node --import ./bench/nock-recorder-register.mjs app.mjs
import './plain-otel-register.mjs';
import nock from 'nock';

nock.recorder.rec({ dont_print: true, output_objects: true, enable_reqheaders_recording: true });
let recorded = 0;
let sampledBodyBytes = 0;
function drain() {
  const calls = nock.recorder.play();
  recorded += calls.length;
  // One call per drain is measured, as proof the bodies were kept: serialising every call would
  // charge this row with work nock itself does not do.
  if (calls.length > 0) sampledBodyBytes = JSON.stringify(calls[0].body ?? '').length + JSON.stringify(calls[0].response ?? '').length;
  nock.recorder.clear();
}
setInterval(drain, 1000).unref();
process.once('SIGTERM', () => {
  drain();
  // Proof it recorded: the service makes three calls per request with ~8 KB bodies each way.
  process.stderr.write(recorded > 0 && sampledBodyBytes > 8 * 1024 ? '' : `nock-recorder: ${recorded} calls, the last one sampled held ${sampledBodyBytes} body bytes\n`);
  // Ended by the signal, as the other variants are (the bench checks how each child ended).
  process.kill(process.pid, 'SIGTERM');
});
