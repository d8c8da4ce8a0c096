// One measurement: a fresh child for one variant, warmed up, loaded, read from /proc, stopped.
// A fresh process per round means no variant inherits another round's heap, JIT state or (for
// tracetape) background ClickHouse merges, and every tracetape child also pays its exit flush.
import { runLoad, runPacedLoad } from './load-generator.mjs';
import { foreignLoadWindow } from './machine-load.mjs';
import { ServiceProcess } from './service-process.mjs';
import { summarizePhase } from './stats.mjs';

export async function measureVariant(variant, settings, firstId, upstream) {
  const startedAt = performance.now();
  const service = new ServiceProcess(variant.id, variant.args, variant.env);
  try {
    const port = await service.ready();
    const startupMs = performance.now() - startedAt;

    // Warm-up also absorbs one-time costs that are not per-request: JIT, connection pools, and for
    // tracetape loading the chDB engine and creating the schema on its first export.
    const warmup = await runLoad({ port, concurrency: settings.concurrency, requests: settings.warmupRequests, timeLimitMs: settings.warmupMs, firstId });

    // Latency at a fixed offered load below saturation, as users see it, measured first and in
    // steady state: a settling stretch at the same rate (not counted) lets what the warm-up left
    // behind finish (tracetape's export queue, chDB's merges of the first parts), so the figure is
    // not the tail of a burst that no variant but tracetape has to absorb.
    const foreign = foreignLoadWindow([service, upstream]);
    const settle = await runPacedLoad({
      port,
      ratePerSec: settings.pacedRate,
      requests: Math.ceil((settings.pacedRate * settings.pacedSettleMs) / 1000),
      timeLimitMs: settings.pacedSettleMs * 3,
      firstId: firstId + warmup.sent,
    });
    const paced = await runPacedLoad({
      port,
      ratePerSec: settings.pacedRate,
      requests: settings.pacedRequests,
      timeLimitMs: settings.measureMs * 3,
      firstId: firstId + warmup.sent + settle.sent,
    });

    // Then saturated: throughput, closed-loop latency and CPU per request.
    const cpuBefore = service.cpuMs();
    const load = await runLoad({
      port,
      concurrency: settings.concurrency,
      requests: settings.requests,
      timeLimitMs: settings.measureMs,
      firstId: firstId + warmup.sent + settle.sent + paced.sent,
    });
    const cpuAfter = service.cpuMs();
    const foreignCores = foreign.end();
    const memory = service.memoryMb();
    const stopped = await service.stop();
    const phase = summarizePhase(load);

    return {
      variant: variant.id,
      startupMs,
      warmup: summarizePhase(warmup),
      ...phase,
      paced: summarizePhase(paced),
      timedOut: load.timedOut,
      firstError: load.firstError ?? warmup.firstError ?? settle.firstError ?? paced.firstError,
      errors: load.errors + warmup.errors + settle.errors + paced.errors,
      // Every 200 answer means three outbound calls that should have been recorded.
      answered: load.latencies.length + warmup.latencies.length + settle.latencies.length + paced.latencies.length,
      idsUsed: warmup.sent + settle.sent + paced.sent + load.sent,
      cpuMsPerRequest: perRequest(cpuBefore?.total, cpuAfter?.total, phase.requests),
      mainThreadCpuMsPerRequest: perRequest(cpuBefore?.main, cpuAfter?.main, phase.requests),
      peakRssMb: memory?.peak ?? NaN,
      foreignCores,
      stopMs: stopped.stopMs ?? NaN,
      exit: stopped.signal ?? stopped.code,
      stderr: service.stderr,
    };
  } finally {
    service.kill();
  }
}

function perRequest(before, after, requests) {
  return before === undefined || after === undefined ? NaN : (after - before) / Math.max(1, requests);
}
