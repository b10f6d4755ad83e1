// Preloaded into the server by soak.mjs (node --import): reports the server's own RSS, heap and
// event-loop delay every SOAK_SAMPLE_SECONDS on stderr as one JSON line prefixed with "soak-probe ".
import { monitorEventLoopDelay } from 'node:perf_hooks';

const every = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10) * 1000;
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
setInterval(() => {
  const { rss, heapUsed } = process.memoryUsage();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const sample = { rssMb: Math.round(rss / 1048576), heapMb: Math.round(heapUsed / 1048576), lagP50Ms: ms(delay.percentile(50)), lagP99Ms: ms(delay.percentile(99)), lagMaxMs: ms(delay.max) };
  delay.reset();
  process.stderr.write(`soak-probe ${JSON.stringify(sample)}\n`);
}, every).unref();
