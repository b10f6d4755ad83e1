// Preloaded into the server by the bench (`node --import`) with BENCH_LOOP_PROBE=1: once a second it
// appends the event loop's delay and the garbage collector's pauses of that second to the file named
// by IRIS_BENCH_LOOP_PROBE_FILE, as JSON lines, so each measurement can say whether the tail comes
// from the loop stalling, and whether from a full collection (a mark-compact of the old generation,
// which grows with what outlives the young one). Nothing of it is in the server's own code.
import { appendFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

const file = process.env.IRIS_BENCH_LOOP_PROBE_FILE;
if (file) {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let gcMs = 0;
  let gcCount = 0;
  let gcMaxMs = 0;
  let majorGcs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      gcCount += 1;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs += 1;
    }
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns) => ns / 1e6;
  setInterval(() => {
    appendFileSync(
      file,
      `${JSON.stringify({
        at: Date.now(),
        pid: process.pid,
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
        gcMs,
        gcCount,
        gcMaxMs,
        majorGcs,
        oldSpaceMb: getHeapSpaceStatistics().find((space) => space.space_name === 'old_space').space_used_size / 2 ** 20,
      })}\n`,
    );
    delay.reset();
    gcMs = gcCount = gcMaxMs = majorGcs = 0;
  }, 1000).unref();
}
