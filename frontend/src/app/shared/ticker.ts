import { DestroyRef, Injectable, signal } from '@angular/core';

/**
 * One clock that ticks each second for every countdown on the page: `now` is a signal of `Date.now()`.
 * It runs only while something watches it (`watch()` with the watcher's DestroyRef), so an idle page
 * has no timer at all.
 */
@Injectable({ providedIn: 'root' })
export class Ticker {
  private readonly nowValue = signal(Date.now());
  private watchers = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  readonly now = this.nowValue.asReadonly();

  /** Keeps the clock ticking until `destroyRef` is destroyed. */
  watch(destroyRef: DestroyRef): void {
    this.watchers++;
    if (this.watchers === 1) {
      this.nowValue.set(Date.now());
      this.timer = setInterval(() => this.nowValue.set(Date.now()), 1000);
    }
    destroyRef.onDestroy(() => {
      this.watchers--;
      if (this.watchers === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
  }

  /** Whether the interval runs (for tests). */
  get running(): boolean {
    return this.timer !== undefined;
  }
}
