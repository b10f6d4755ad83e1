import { computed, signal } from '@angular/core';

/** Whether the peer is typing: until the `expiresAt` of their last `typing` event, or until it is stopped. */
export class PeerTyping {
  private readonly until = signal<number | null>(null);
  private timer: ReturnType<typeof setTimeout> | undefined;

  readonly active = computed(() => this.until() !== null);

  showUntil(until: number): void {
    clearTimeout(this.timer);
    const delay = until - Date.now();
    if (!(delay > 0)) {
      this.until.set(null);
      return;
    }
    this.until.set(until);
    this.timer = setTimeout(() => this.until.set(null), delay);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.until.set(null);
  }
}
