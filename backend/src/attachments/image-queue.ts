import { MediaError } from './media-error.js';

/** Images one account may have in processing at once (one running, the rest waiting): the web client uploads two at a time. */
export const IMAGES_PER_USER = 4;
/** Images waiting in the process, all accounts together; beyond that the server is overloaded (503). */
export const MAX_WAITING_IMAGES = 32;

/**
 * Runs image work one job at a time in this process (decoding is where an upload can cost hundreds of
 * megabytes), taking turns between accounts: after each job the slot goes to the next account that has
 * one waiting, so an account sending many images waits behind its own, not others behind it. An account
 * over IMAGES_PER_USER is refused (429); the process-wide bound only matters when many accounts upload at once.
 */
export class ImageQueue {
  private running = false;
  /** Waiting jobs per account, in turn order: the first account with a job goes next. */
  private readonly turns = new Map<string, (() => void)[]>();
  private readonly held = new Map<string, number>();
  private waiting = 0;

  async run<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const held = this.held.get(userId) ?? 0;
    if (held >= IMAGES_PER_USER) {
      throw new MediaError('QUEUE_FULL', `At most ${IMAGES_PER_USER} images of one account are processed at a time; send the next when one is done`);
    }
    if (this.running && this.waiting >= MAX_WAITING_IMAGES) {
      throw new MediaError('BUSY', 'Too many images are being processed; try again in a moment');
    }
    this.held.set(userId, held + 1);
    try {
      if (this.running) await this.wait(userId);
      this.running = true;
      return await work();
    } finally {
      const left = (this.held.get(userId) ?? 1) - 1;
      if (left > 0) this.held.set(userId, left);
      else this.held.delete(userId);
      this.next(userId);
    }
  }

  private wait(userId: string): Promise<void> {
    this.waiting += 1;
    return new Promise((resolve) => {
      const queue = this.turns.get(userId);
      if (queue) queue.push(resolve);
      else this.turns.set(userId, [resolve]);
    });
  }

  /** Starts the next job: the account that just had its turn goes behind every other account that is waiting. */
  private next(previous: string): void {
    const own = this.turns.get(previous);
    if (own) {
      this.turns.delete(previous);
      this.turns.set(previous, own);
    }
    const [userId, queue] = this.turns.entries().next().value ?? [];
    if (!userId || !queue) {
      this.running = false;
      return;
    }
    const start = queue.shift()!;
    if (queue.length === 0) this.turns.delete(userId);
    this.waiting -= 1;
    start();
  }
}
