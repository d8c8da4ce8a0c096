// Order statistics for the report. Percentiles use the nearest-rank method on sorted samples:
// with a few thousand samples per round the choice of interpolation does not move p99 visibly.

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(values) {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/** Throughput and latency percentiles of one measured phase. */
export function summarizePhase(load) {
  const sorted = Float64Array.from(load.latencies).sort();
  return {
    requests: load.latencies.length,
    errors: load.errors,
    reqPerSec: (load.latencies.length * 1000) / load.elapsedMs,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}
