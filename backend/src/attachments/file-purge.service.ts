import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AttachmentsRepository, type ClaimedFile, PURGE_BATCH } from './attachments.repository.js';
import { Storage } from './storage/storage.js';

const MAX_RETRY_DELAY_MS = 3_600_000;
/** A claimed queue entry is not retried by another instance before this lease ends. */
const PURGE_LEASE_MS = 5 * 60_000;
/** How long a delete or erasure waits for its files to be removed before answering anyway. */
const INLINE_PURGE_TIMEOUT_MS = 3_000;

/** Removes stored files queued in storage_deletions (by the attachments trigger or an upload in flight). */
@Injectable()
export class FilePurgeService implements OnApplicationShutdown {
  private readonly logger = new Logger(FilePurgeService.name);

  constructor(
    private readonly attachments: AttachmentsRepository,
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {}

  /**
   * Removes queued files from storage: everything due, in batches. A file that cannot be removed
   * stays queued with a growing delay and is tried again by a later sweep. Several instances may run
   * this at once: each batch is claimed with SKIP LOCKED and a lease, in a short transaction; storage is
   * called outside any transaction, so a slow storage never holds a database connection. Returns how
   * many files were removed.
   */
  async purgeQueuedFiles(): Promise<number> {
    let removed = 0;
    for (;;) {
      const claimed = await this.claim(null);
      removed += await this.remove(claimed);
      if (claimed.length < PURGE_BATCH) return removed;
    }
  }

  /**
   * Removes these queued files now (after a message delete or an erasure), waiting a few seconds at
   * most: whatever is not done by then stays queued for the sweep. Never throws.
   */
  async purgeKeys(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const work = this.claim(keys).then((claimed) => this.remove(claimed));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, INLINE_PURGE_TIMEOUT_MS)));
    try {
      await Promise.race([work.then(() => undefined), timeout]);
    } catch (error) {
      this.logger.warn(`Files stay queued for the sweep: ${String(error)}`);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }

  /** Every due entry, or exactly `keys` (the caller's own, whenever they are due: a delete removing an upload still marked as in flight). */
  private claim(keys: string[] | null): Promise<ClaimedFile[]> {
    const now = this.clock.now();
    return this.attachments.claim(keys, now, new Date(now.getTime() + PURGE_LEASE_MS));
  }

  /** Deletes claimed files from storage; forgets the ones done and backs off the others. */
  private async remove(claimed: ClaimedFile[]): Promise<number> {
    if (claimed.length === 0) return 0;
    const outcomes = await Promise.allSettled(claimed.map(({ storage_key }) => this.storage.delete(storage_key)));
    const done: string[] = [];
    const now = this.clock.now();
    for (const [index, outcome] of outcomes.entries()) {
      const { storage_key: key, attempts } = claimed[index];
      if (outcome.status === 'fulfilled') {
        done.push(key);
        continue;
      }
      const delay = Math.min(MAX_RETRY_DELAY_MS, 10_000 * 2 ** (attempts - 1));
      this.logger.warn(`Could not delete stored file ${key} (attempt ${attempts}): ${String(outcome.reason)}`);
      await this.attachments.retryLater(key, new Date(now.getTime() + delay), String(outcome.reason).slice(0, 1000));
    }
    if (done.length > 0) await this.attachments.forget(done);
    return done.length;
  }
}
