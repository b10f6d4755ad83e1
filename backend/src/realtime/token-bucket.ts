import type { Clock } from '../common/clock.js';

export type TakeResult = { allowed: true } | { allowed: false; firstRefusal: boolean; retryAfterSeconds: number };

/**
 * Rate limit of one socket: up to `capacity` events at once, refilled at `capacity` per `periodMs`, so a
 * steady `capacity` events per period pass and bursts cannot double it at a window edge. Time comes from
 * the injectable clock.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private refusing = false;

  constructor(
    private readonly capacity: number,
    private readonly periodMs: number,
    private readonly clock: Clock,
  ) {
    this.tokens = capacity;
    this.updatedAt = clock.now().getTime();
  }

  /** Takes one token. `firstRefusal` is true only for the first refusal of a run, so the caller reports it once. */
  take(): TakeResult {
    const now = this.clock.now().getTime();
    // A clock moved back refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.capacity) / this.periodMs);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusing = false;
      return { allowed: true };
    }
    const firstRefusal = !this.refusing;
    this.refusing = true;
    const msUntilToken = ((1 - this.tokens) * this.periodMs) / this.capacity;
    return { allowed: false, firstRefusal, retryAfterSeconds: Math.max(1, Math.ceil(msUntilToken / 1000)) };
  }
}
