// What committing sends together saves: send_message one per statement against the app's batch
// statement (messages/send-batches.ts), both raw on the same pool, in alternating turns, with
// PostgreSQL's CPU per send read from /proc.
import { cpuBetween, cpuReading } from './procfs.mjs';
import { closedLoop } from './stats.mjs';

/**
 * `one(i)` sends one message, `many(i, n)` sends `n` in one statement. The same number of sends is out
 * at once in both: `concurrency` statements of one, or `concurrency / batchSize` statements of
 * `batchSize` (the app sends at most four statements at a time).
 */
export async function sendBatchCost({ database, one, many, concurrency, batchSize, seconds, turns = 2 }) {
  const runs = { one: [], batch: [] };
  const turnSeconds = Math.max(1, seconds / (2 * turns));
  for (let turn = 0; turn < 2 * turns; turn++) {
    const which = turn % 2 === 0 ? 'one' : 'batch';
    const before = cpuReading({ database });
    const result =
      which === 'one'
        ? await closedLoop({ concurrency, seconds: turnSeconds, operation: (_, i) => one(i) })
        : await closedLoop({ concurrency: Math.max(1, Math.round(concurrency / batchSize)), seconds: turnSeconds, operation: (_, i) => many(i, batchSize) });
    const sends = which === 'one' ? result.count : result.count * batchSize;
    runs[which].push({ ...result, sends, seconds: result.count / result.perSecond, postgresMs: cpuBetween(before, cpuReading({ database })).ms.postgres });
  }
  const total = (list) => {
    const sends = list.reduce((sum, run) => sum + run.sends, 0);
    const secs = list.reduce((sum, run) => sum + run.seconds, 0);
    return {
      errors: list.reduce((sum, run) => sum + run.errors, 0),
      perSecond: sends / secs,
      // A statement's latency (a batch's is that of all its sends), the worst turn's.
      p50: Math.max(...list.map((run) => run.p50)),
      p99: Math.max(...list.map((run) => run.p99)),
      postgresMsPerSend: list.reduce((sum, run) => sum + run.postgresMs, 0) / sends,
    };
  };
  return { one: total(runs.one), batch: total(runs.batch) };
}
