import { setupPrimary as relaySocketIoBetweenWorkers } from '@socket.io/cluster-adapter';
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RUNS_JOBS_ENV } from '../common/workers.js';
import type { AppConfig } from '../config/app-config.js';
import { type PrimaryLog, primaryLog } from './primary-log.js';
import { crashesAfter, restartDelayMs } from './restart-policy.js';
import { SharedState } from './shared-state.js';

/** How many server processes to run: WORKERS, else one per core; always one on the embedded database. */
export function workerCount(config: AppConfig, cores = availableParallelism()): { count: number; warning?: string } {
  if (config.embeddedDatabase) {
    const warning =
      config.WORKERS !== undefined && config.WORKERS > 1
        ? `WORKERS=${config.WORKERS} ignored: the embedded database (PGlite) lives in one process, so Iris runs one; set DATABASE_URL to PostgreSQL for more`
        : undefined;
    return { count: 1, warning };
  }
  return { count: config.WORKERS ?? cores };
}

interface Slot {
  /** 1-based, as in the logs; slot 1 runs the scheduled jobs. */
  number: number;
  worker?: Worker;
  startedAt: number;
  crashesInARow: number;
  restart?: NodeJS.Timeout;
}

/**
 * The primary of WORKERS server processes on one port. Node's cluster hands each new TCP connection
 * to the next worker in turn; a Socket.IO client stays on its worker because it speaks WebSocket only
 * (one connection) when there are several. It relays Socket.IO events between workers (unless Redis
 * does), keeps the state they share (SharedState), restarts a crashed worker with a backoff, and
 * on SIGTERM or SIGINT stops them all within SHUTDOWN_TIMEOUT_MS.
 */
export class Primary {
  private readonly logger: PrimaryLog;
  private readonly shared = new SharedState();
  private readonly slots: Slot[];
  private everListening = false;
  private stopping = false;
  private exitCode = 0;

  constructor(
    private readonly config: AppConfig,
    count: number,
  ) {
    this.logger = primaryLog(config.LOG_LEVEL);
    this.slots = Array.from({ length: count }, (_, index) => ({ number: index + 1, startedAt: 0, crashesInARow: 0 }));
  }

  start(): void {
    if (!this.config.REDIS_URL) relaySocketIoBetweenWorkers();
    cluster.on('message', (worker, message) => {
      this.shared.handle(worker.id, message, (answer) => {
        if (worker.isConnected()) worker.send(answer);
      });
    });
    // Workers run main.js itself, whatever started the primary (`npm start` imports it from a script).
    cluster.setupPrimary({ exec: fileURLToPath(new URL('../main.js', import.meta.url)) });
    for (const slot of this.slots) this.fork(slot);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.stop(signal));
    this.logger.log(`Starting ${this.slots.length} workers (${this.config.REDIS_URL ? 'Redis' : 'this process'} carries events and limits between them)`);
  }

  private fork(slot: Slot): void {
    slot.restart = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ [RUNS_JOBS_ENV]: slot.number === 1 ? '1' : '0' });
    slot.worker = worker;
    worker.once('listening', () => {
      this.everListening = true;
      this.logger.log(`Worker ${slot.number} (pid ${worker.process.pid}) is serving`);
    });
    worker.once('exit', (code, signal) => this.exited(slot, worker, code, signal));
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    this.shared.forgetWorker(worker.id);
    if (slot.worker === worker) slot.worker = undefined;
    if (this.stopping) {
      if (code !== 0) this.exitCode = 1;
      this.exitWhenAllStopped();
      return;
    }
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    if (!this.everListening) {
      // No worker ever served: the server cannot start (database unreachable, port taken); restarting would not help.
      this.logger.error(`Worker ${slot.number} ${how} before any worker started; stopping`);
      this.exitCode = 1;
      this.stop('SIGTERM');
      return;
    }
    slot.crashesInARow = crashesAfter(slot.crashesInARow, Date.now() - slot.startedAt);
    const delay = restartDelayMs(slot.crashesInARow);
    this.logger.error(`Worker ${slot.number} (pid ${worker.process.pid}) ${how}; starting it again in ${delay} ms`);
    slot.restart = setTimeout(() => this.fork(slot), delay);
  }

  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.log(`${signal}: stopping ${this.running().length} workers within ${this.config.SHUTDOWN_TIMEOUT_MS} ms`);
    for (const slot of this.slots) clearTimeout(slot.restart);
    // A Ctrl+C reaches every worker itself (one process group); they ignore SIGINT and wait for this.
    for (const worker of this.running()) worker.process.kill('SIGTERM');
    // Each worker ends itself at SHUTDOWN_TIMEOUT_MS; this is the last word if one does not.
    setTimeout(() => {
      for (const worker of this.running()) {
        this.logger.error(`Worker pid ${worker.process.pid} did not stop in time; killing it`);
        worker.process.kill('SIGKILL');
      }
    }, this.config.SHUTDOWN_TIMEOUT_MS + 1_000).unref();
    this.exitWhenAllStopped();
  }

  private running(): Worker[] {
    return this.slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
  }

  private exitWhenAllStopped(): void {
    if (this.running().length > 0) return;
    this.logger.log(this.exitCode === 0 ? 'All workers stopped' : 'Stopped, with errors');
    process.exit(this.exitCode);
  }
}

/**
 * In the process `npm start` runs: when there are to be several workers, starts them and answers
 * true (this process then only supervises them); false when this process is to serve by itself.
 */
export function startPrimary(config: AppConfig): boolean {
  if (!cluster.isPrimary) return false;
  const { count, warning } = workerCount(config);
  if (warning) primaryLog(config.LOG_LEVEL).warn(warning);
  if (count === 1) return false;
  new Primary(config, count).start();
  return true;
}
