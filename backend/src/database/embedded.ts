import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { execFile } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

export const IN_MEMORY = 'memory';

/**
 * PGlite's own start parameters (single-user mode, and `-F`: no fsync, its default) with a smaller
 * buffer pool. PostgreSQL's 128 MB of shared buffers are allocated and written at start inside the
 * WASM heap, so they were all resident; the operating system's page cache below still caches the
 * files. WAL buffers follow (1/32 of it). 8 MB cost no send throughput against 16 MB in the bench.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'];

/** An embedded PostgreSQL (PGlite) owned by this process, exposed to TypeORM as a node-postgres config. */
export class EmbeddedDatabase {
  private constructor(
    private readonly pglite: PGlite,
    private readonly lockPath: string | null,
  ) {}

  /** `location` is a directory, or `memory` for a throwaway database. */
  static async open(location: string): Promise<EmbeddedDatabase> {
    const extensions = { citext, pg_trgm };
    if (location === IN_MEMORY) {
      return new EmbeddedDatabase(await PGlite.create({ extensions, startParams: START_PARAMS }), null);
    }
    const dataDir = resolve(location);
    mkdirSync(dirname(dataDir), { recursive: true });
    const lockPath = `${dataDir}.lock`;
    acquireLock(lockPath, dataDir);
    try {
      if (!existsSync(join(dataDir, 'PG_VERSION'))) await createInChildProcess(dataDir);
      return new EmbeddedDatabase(await PGlite.create(dataDir, { extensions, startParams: START_PARAMS }), lockPath);
    } catch (error) {
      releaseLock(lockPath);
      throw error;
    }
  }

  /** node-postgres options; PGlite has a single connection, so TypeORM must use a pool of one. */
  pgConfig(): object {
    return { ...createPgConfig(this.pglite), idleTimeoutMillis: 0 };
  }

  async close(): Promise<void> {
    try {
      if (!this.pglite.closed) await this.pglite.close();
    } finally {
      if (this.lockPath) releaseLock(this.lockPath);
    }
  }
}

export class DatabaseLockedError extends Error {}

/**
 * Runs initdb for a new data directory in a child process that exits when done: PGlite runs it in a
 * second instance with a copy of its heap, memory this process would otherwise keep for its whole life.
 */
async function createInChildProcess(dataDir: string): Promise<void> {
  const pglite = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const script = `const { PGlite } = await import(${JSON.stringify(pglite)}); await (await PGlite.create(process.argv[1])).close();`;
  // Without the optimizing compiler's work on background threads (see EMBEDDED_V8_FLAGS in v8-settings.ts) initdb is done sooner.
  await promisify(execFile)(process.execPath, ['--liftoff-only', '--input-type=module', '--eval', script, dataDir]);
}

// Locks this process holds; a lock file naming our own pid that is not in here was left by an earlier
// process that had the same pid (typical for pid 1 in containers) and is stale.
const heldLocks = new Set<string>();

function acquireLock(lockPath: string, dataDir: string): void {
  if (heldLocks.has(lockPath)) {
    throw new DatabaseLockedError(`The embedded database at ${dataDir} is already open in this process.`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // Written aside and linked into place, so the lock never exists without the holder's pid in it.
      const pending = `${lockPath}.${process.pid}`;
      writeFileSync(pending, String(process.pid));
      try {
        linkSync(pending, lockPath);
      } finally {
        unlinkSync(pending);
      }
      heldLocks.add(lockPath);
      process.once('exit', () => releaseLock(lockPath));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(lockPath);
      if (holder !== null && holder !== process.pid && isRunning(holder)) {
        throw new DatabaseLockedError(
          `The embedded database at ${dataDir} is already in use by process ${holder}. ` +
            'Stop that Iris instance, or point DATABASE_URL at another directory or at PostgreSQL.',
        );
      }
      // The holder is gone (crash or kill -9): the lock is stale.
      unlinkSync(lockPath);
    }
  }
  throw new DatabaseLockedError(`Could not lock the embedded database at ${dataDir}`);
}

function releaseLock(lockPath: string): void {
  if (!heldLocks.delete(lockPath)) return;
  try {
    if (readHolder(lockPath) === process.pid) unlinkSync(lockPath);
  } catch {
    // Already gone.
  }
}

function readHolder(lockPath: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
