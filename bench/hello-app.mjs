// The app of bench/startup.mjs: a hello world that makes one outbound call, so a hooked run records
// something. It starts a loopback server, fetches from it once, closes every connection (so no
// keep-alive socket holds the process open), prints, and exits on its own.
import http from 'node:http';

const server = http.createServer((req, res) => res.end('ok'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const answer = await (await fetch(`http://127.0.0.1:${server.address().port}/hello`)).text();
server.close();
server.closeAllConnections();
console.log(`hello ${answer}`);
// Where /usr/bin/time is missing, the bench reads the peak RSS from here (the hooks' exit handlers,
// registered before the app's, have run by now).
process.on('exit', () => process.stderr.write(`bench-max-rss-kb ${process.resourceUsage().maxRSS}\n`));
