// Without imports of its own: the primary of several workers keeps these windows, and loads no more than it needs.

/** A counter's state: hits in the current window and when the window ends (clock ms). */
export interface WindowState {
  count: number;
  resetAt: number;
}

/**
 * Fixed-window counters: a window opens at its first hit and lasts `windowMs`. Time comes from the
 * injectable clock on both stores, so tests move it; Redis expiry only cleans keys up.
 */
export abstract class RateLimitStore {
  /** Counts one hit at `now` and answers the window after it. */
  abstract hit(key: string, windowMs: number, now: number): Promise<WindowState>;
  /** The window as it stands at `now`, without counting; null when none is open. */
  abstract peek(key: string, now: number): Promise<WindowState | null>;
  abstract reset(key: string): Promise<void>;
}

const PRUNE_ABOVE = 10_000;

/** In this process only: with several instances each counts on its own (set REDIS_URL to share). The primary of several workers keeps one for all of them. */
export class MemoryRateLimitStore extends RateLimitStore {
  private readonly windows = new Map<string, WindowState>();

  hit(key: string, windowMs: number, now: number): Promise<WindowState> {
    if (this.windows.size > PRUNE_ABOVE) this.prune(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return Promise.resolve({ ...window });
  }

  peek(key: string, now: number): Promise<WindowState | null> {
    const window = this.windows.get(key);
    return Promise.resolve(window && window.resetAt > now ? { ...window } : null);
  }

  reset(key: string): Promise<void> {
    this.windows.delete(key);
    return Promise.resolve();
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
