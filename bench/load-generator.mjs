// Closed-loop load: a fixed number of workers, each sending its next request as soon as the last
// answered, over keep-alive loopback connections. Bounded by both a request count and a deadline,
// so a variant that stalls ends the phase instead of the benchmark's time budget.
import http from 'node:http';

/**
 * Runs one phase against 127.0.0.1:port and returns per-request latencies (ms), elapsed time,
 * and how many requests failed (non-200 or socket errors; their latencies are not kept).
 */
export async function runLoad({ port, concurrency, requests, timeLimitMs, firstId = 0 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let errors = 0;
  let firstError;
  let next = 0;
  const started = performance.now();
  const deadline = started + timeLimitMs;

  const worker = async () => {
    while (next < requests && performance.now() < deadline) {
      const id = firstId + next++;
      const sent = performance.now();
      try {
        const status = await get(agent, port, `/work?id=${id}`);
        if (status === 200) latencies.push(performance.now() - sent);
        else {
          errors++;
          firstError ??= `HTTP ${status}`;
        }
      } catch (error) {
        errors++;
        firstError ??= error.message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latencies, elapsedMs, sent: next, errors, firstError, timedOut: next < requests };
}

/**
 * Open-loop load: request i is sent at start + i / ratePerSec whether or not earlier ones have
 * answered, and its latency counts from that scheduled moment, so a stall shows up in every
 * request it delays (no coordinated omission). This is how latency compares at the same offered
 * load, below saturation, where closed-loop latency only mirrors throughput.
 */
export async function runPacedLoad({ port, ratePerSec, requests, timeLimitMs, firstId = 0 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const latencies = [];
  let errors = 0;
  let firstError;
  let sent = 0;
  const started = performance.now();
  const deadline = started + timeLimitMs;
  const pending = [];
  while (sent < requests) {
    const scheduled = started + (sent * 1000) / ratePerSec;
    if (scheduled > deadline) break;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = firstId + sent++;
    pending.push(
      get(agent, port, `/work?id=${id}`).then(
        (status) => {
          if (status === 200) latencies.push(performance.now() - scheduled);
          else {
            errors++;
            firstError ??= `HTTP ${status}`;
          }
        },
        (error) => {
          errors++;
          firstError ??= error.message;
        },
      ),
    );
  }
  await Promise.all(pending);
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latencies, elapsedMs, sent, errors, firstError, timedOut: sent < requests };
}

function get(agent, port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
    req.on('error', reject);
  });
}
