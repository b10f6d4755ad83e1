import { DestroyRef } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Ticker } from './ticker';

/** A DestroyRef the spec destroys by hand. */
function watcher(): { ref: DestroyRef; destroy: () => void } {
  const callbacks: (() => void)[] = [];
  const ref = { onDestroy: (callback: () => void) => callbacks.push(callback), destroyed: false } as unknown as DestroyRef;
  return { ref, destroy: () => callbacks.forEach((callback) => callback()) };
}

describe('Ticker', () => {
  let sut: Ticker;

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T10:00:00.000Z') });
    sut = TestBed.inject(Ticker);
  });

  afterEach(() => vi.useRealTimers());

  describe('watch', () => {
    it('ticks once a second with the current time while watched', () => {
      const first = watcher();
      sut.watch(first.ref);
      expect(sut.now()).toBe(Date.parse('2026-01-01T10:00:00.000Z'));
      vi.advanceTimersByTime(1000);
      expect(sut.now()).toBe(Date.parse('2026-01-01T10:00:01.000Z'));
      vi.advanceTimersByTime(2500);
      expect(sut.now()).toBe(Date.parse('2026-01-01T10:00:03.000Z'));
    });

    it('shares one interval between watchers and stops with the last one', () => {
      const first = watcher();
      const second = watcher();
      sut.watch(first.ref);
      sut.watch(second.ref);
      expect(vi.getTimerCount()).toBe(1);
      first.destroy();
      expect(sut.running).toBe(true);
      second.destroy();
      expect(sut.running).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
      const frozen = sut.now();
      vi.advanceTimersByTime(5000);
      expect(sut.now()).toBe(frozen);
    });

    it('starts from the current time when watched again', () => {
      const first = watcher();
      sut.watch(first.ref);
      first.destroy();
      vi.setSystemTime(new Date('2026-01-01T11:00:00.000Z'));
      sut.watch(watcher().ref);
      expect(sut.now()).toBe(Date.parse('2026-01-01T11:00:00.000Z'));
    });
  });
});
