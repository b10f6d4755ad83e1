import cluster from 'node:cluster';

/** Set by the primary on the one worker that runs the scheduled jobs (cron, expiry sweep). */
export const RUNS_JOBS_ENV = 'IRIS_RUNS_JOBS';

/** Whether this process is one of several workers started by the primary (WORKERS > 1). */
export const isClusterWorker = (): boolean => cluster.isWorker;

/**
 * Whether this process schedules the periodic jobs: a lone process does, and of several workers only
 * the one the primary chose, so a job runs once per instance. Several instances stay safe through
 * the jobs' own locks (docs/deployment.md).
 */
export const runsScheduledJobs = (): boolean => !cluster.isWorker || process.env[RUNS_JOBS_ENV] === '1';

let onStop: (signal: NodeJS.Signals) => void = () => process.exit(0);

/**
 * Listens for SIGTERM and SIGINT from the start: until `whenStopped` says what to do, a stop ends the
 * process at once and cleanly, as nothing is served yet (a worker may still be starting when its
 * primary stops them all). A worker waits for its primary's SIGTERM: a Ctrl+C reaches the whole
 * process group, and the primary turns it into one SIGTERM per worker. Where a SIGTERM reaches the
 * whole group (systemd's default `KillMode=control-group`, `timeout`), a worker gets two, its own and
 * its primary's: it stops once, and the second must not end it by default in the middle of that.
 */
export function listenForStop(): void {
  if (cluster.isWorker) {
    process.on('SIGINT', () => undefined);
    let stopping = false;
    process.on('SIGTERM', (name) => {
      if (stopping) return;
      stopping = true;
      onStop(name);
    });
    return;
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (name) => onStop(name));
}

/** What a stop signal does from now on (the server's graceful shutdown, once it listens). */
export function whenStopped(stop: (signal: NodeJS.Signals) => void): void {
  onStop = stop;
}
