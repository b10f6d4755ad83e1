import { DestroyRef, inject, Injectable } from '@angular/core';
import { MAX_TIMEOUT_MS } from './expiry';

/** Rings its owner once, `wait` ms after the last `set`; `set(null)` silences it. */
export interface ExpiryAlarm {
  set(wait: number | null): void;
}

/**
 * The one timer behind disappearing messages: the chat list and the open conversation each hold an
 * alarm, and a single timeout waits for the soonest of them.
 */
@Injectable({ providedIn: 'root' })
export class ExpiryClock {
  private readonly due = new Map<ExpiryAlarm, { at: number; ring: () => void }>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** An alarm that calls `ring`, silenced when the caller is destroyed. Needs an injection context. */
  alarm(ring: () => void): ExpiryAlarm {
    const alarm: ExpiryAlarm = {
      set: (wait) => {
        if (wait === null) this.due.delete(alarm);
        else this.due.set(alarm, { at: Date.now() + wait, ring });
        this.schedule();
      },
    };
    inject(DestroyRef).onDestroy(() => alarm.set(null));
    return alarm;
  }

  /** Whether a timeout is pending (for tests). */
  get running(): boolean {
    return this.timer !== undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.due.size === 0) return;
    const soonest = Math.min(...[...this.due.values()].map((entry) => entry.at));
    this.timer = setTimeout(() => this.ring(), Math.min(Math.max(0, soonest - Date.now()), MAX_TIMEOUT_MS));
  }

  private ring(): void {
    const now = Date.now();
    const rung = [...this.due].filter(([, entry]) => entry.at <= now);
    for (const [alarm] of rung) this.due.delete(alarm);
    this.schedule();
    for (const [, entry] of rung) entry.ring();
  }
}
