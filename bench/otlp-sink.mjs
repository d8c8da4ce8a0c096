// A layer of bench/capture-floor.mjs: an OTLP/HTTP endpoint that accepts every export and keeps
// nothing, so tracetape's capture can be measured without the cost of any store behind it.
// Prints "listening <port>" when ready; GET /stats answers how many exports and bytes arrived.
import http from 'node:http';

let exports = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ exports, bytes }));
    return;
  }
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    exports++;
    // An empty ExportTraceServiceResponse: no partial success, nothing rejected.
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
