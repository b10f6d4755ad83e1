/**
 * The outbox's link to the other tabs of this browser signed in as the same user: one tab sends at a
 * time (a Web Lock, so two tabs never post the same message at once) and every change is announced
 * (a BroadcastChannel), so each tab reads the outbox again and all of them show the same one.
 */
export class OutboxTabs {
  private readonly channel: BroadcastChannel | null;

  constructor(
    private readonly userId: string,
    changed: () => void,
  ) {
    this.channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`iris-outbox-${userId}`);
    if (this.channel) this.channel.onmessage = () => changed();
  }

  /** Tells the other tabs that the stored outbox changed. */
  announce(): void {
    try {
      this.channel?.postMessage('changed');
    } catch {
      // Closed meanwhile (the user signed out): nobody is left to tell.
    }
  }

  /** Runs `work` while no other tab of this user runs its own (where the browser has Web Locks). */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    if (!locks) return work();
    return (await locks.request(`iris-outbox-send-${this.userId}`, work)) as T;
  }

  close(): void {
    this.channel?.close();
  }
}
