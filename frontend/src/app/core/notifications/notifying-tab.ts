import { DOCUMENT } from '@angular/common';
import { DestroyRef, inject, Injectable, signal } from '@angular/core';

const LOCK = 'iris-notifying-tab';

/**
 * One holder of a Web Lock among the tabs of a browser: `claim` takes it now (from whoever held it),
 * `wait` queues for it, and a holder that loses it to a claim queues again, so when the holder closes
 * the lock (released with the tab) passes to a tab that waits.
 */
export class TabLeader {
  private readonly leadingValue = signal(false);
  readonly leading = this.leadingValue.asReadonly();
  /** Each request made; only the newest one counts, an older one granted late lets go at once. */
  private generation = 0;
  private release: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly locks: LockManager,
    private readonly name = LOCK,
  ) {}

  claim(): void {
    if (!this.leadingValue()) this.request(true);
  }

  wait(): void {
    if (!this.leadingValue()) this.request(false);
  }

  close(): void {
    this.closed = true;
    this.generation++;
    this.leadingValue.set(false);
    this.release?.();
    this.release = null;
  }

  private request(steal: boolean): void {
    if (this.closed) return;
    const generation = ++this.generation;
    const held = this.locks.request(this.name, { steal }, () => {
      if (generation !== this.generation) return Promise.resolve();
      this.leadingValue.set(true);
      return new Promise<void>((resolve) => (this.release = resolve));
    });
    held.catch(() => {
      // Taken by a tab the user turned to: wait for it to be free again.
      if (generation !== this.generation) return;
      this.leadingValue.set(false);
      this.release = null;
      this.request(false);
    });
  }
}

/**
 * Whether this tab is the one of the browser that plays the tone and shows desktop notifications, so a
 * message never rings in every open tab: the tab the user looked at last (it claims the lead whenever it
 * becomes visible); when it closes, another open tab takes over. Without Web Locks every tab notifies.
 */
@Injectable({ providedIn: 'root' })
export class NotifyingTab {
  private readonly leader: TabLeader | null;
  readonly active: () => boolean;

  constructor() {
    const document = inject(DOCUMENT);
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    this.leader = locks ? new TabLeader(locks) : null;
    const leader = this.leader;
    this.active = leader ? leader.leading : () => true;
    if (!leader) return;
    const visible = () => document.visibilityState === 'visible';
    const onVisibility = () => (visible() ? leader.claim() : undefined);
    if (visible()) leader.claim();
    else leader.wait();
    document.addEventListener('visibilitychange', onVisibility);
    inject(DestroyRef).onDestroy(() => {
      document.removeEventListener('visibilitychange', onVisibility);
      leader.close();
    });
  }
}
