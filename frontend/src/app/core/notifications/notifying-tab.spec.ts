import { describe, expect, it } from 'vitest';
import { TabLeader } from './notifying-tab';

/** One exclusive lock as Chromium's LockManager grants it: in turn, and to a `steal` at once (the holder's request rejects). */
class FakeLocks {
  private holder: { reject: (error: unknown) => void } | null = null;
  private readonly queue: (() => void)[] = [];

  request(_name: string, options: LockOptions, work: () => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        const held = { reject };
        this.holder = held;
        void work().then((value) => {
          if (this.holder !== held) return;
          this.holder = null;
          resolve(value);
          this.queue.shift()?.();
        });
      };
      if (options.steal) {
        this.holder?.reject(new DOMException('The lock was stolen', 'AbortError'));
        grant();
      } else if (this.holder) {
        this.queue.push(grant);
      } else {
        grant();
      }
    });
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('TabLeader', () => {
  it('lets one tab lead: the one turned to last, and another when it closes', async () => {
    const locks = new FakeLocks() as unknown as LockManager;
    const first = new TabLeader(locks);
    const second = new TabLeader(locks);
    const third = new TabLeader(locks);

    first.claim();
    second.wait();
    third.wait();
    await settle();
    expect([first.leading(), second.leading(), third.leading()]).toEqual([true, false, false]);

    // The user turns to the second tab.
    second.claim();
    await settle();
    expect([first.leading(), second.leading(), third.leading()]).toEqual([false, true, false]);

    // It closes: a waiting tab takes over, only one.
    second.close();
    await settle();
    const leaders = [first, third].filter((tab) => tab.leading());
    expect(leaders).toHaveLength(1);

    // Turning back to a tab that already leads changes nothing.
    leaders[0].claim();
    await settle();
    expect([first, second, third].filter((tab) => tab.leading())).toEqual(leaders);
  });
});
