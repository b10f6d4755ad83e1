import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const IN_MEMORY = 'memory';

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
      return new EmbeddedDatabase(await PGlite.create({ extensions }), null);
    }
    const dataDir = resolve(location);
    mkdirSync(dirname(dataDir), { recursive: true });
    const lockPath = `${dataDir}.lock`;
    acquireLock(lockPath, dataDir);
    try {
      return new EmbeddedDatabase(await PGlite.create(dataDir, { extensions }), lockPath);
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
