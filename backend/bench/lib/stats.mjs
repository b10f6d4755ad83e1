// Latency samples and their percentiles, in milliseconds.

export class Samples {
  constructor() {
    this.values = [];
    this.errors = 0;
  }

  add(ms) {
    this.values.push(ms);
  }

  summary(seconds) {
    const sorted = Float64Array.from(this.values).sort();
    const at = (q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return {
      count: sorted.length,
      errors: this.errors,
      perSecond: sorted.length / seconds,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: sorted.length ? sorted[sorted.length - 1] : NaN,
    };
  }
}

/**
 * Runs `operation(worker, i)` from `concurrency` workers back to back for `seconds`, timing each.
 * @returns {Promise<ReturnType<Samples['summary']>>}
 */
export async function closedLoop({ concurrency, seconds, operation }) {
  const samples = new Samples();
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const i = next++;
        const start = performance.now();
        try {
          await operation(worker, i);
          samples.add(performance.now() - start);
        } catch (error) {
          samples.errors += 1;
          if (samples.errors === 1) console.warn(`  first error: ${error instanceof Error ? error.message : error}`);
        }
      }
    }),
  );
  return samples.summary((performance.now() - started) / 1000);
}
