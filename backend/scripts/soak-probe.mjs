// Preloaded into the server by soak.mjs (node --import): reports the server's own RSS, heap and
// event-loop delay every SOAK_SAMPLE_SECONDS on stderr as one JSON line prefixed with "soak-probe ".
import { monitorEventLoopDelay } from 'node:perf_hooks';

const every = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10) * 1000;
const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();
setInterval(() => {
  const { rss, heapUsed } = process.memoryUsage();
  // The histogram holds how long each 10 ms timer took; the lag is what exceeds the 10 ms.
  const ms = (ns) => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS);
  const sample = { rssMb: Math.round(rss / 1048576), heapMb: Math.round(heapUsed / 1048576), lagP50Ms: ms(delay.percentile(50)), lagP99Ms: ms(delay.percentile(99)), lagMaxMs: ms(delay.max) };
  delay.reset();
  process.stderr.write(`soak-probe ${JSON.stringify(sample)}\n`);
}, every).unref();
