import { createEnvironmentInjector, EnvironmentInjector, runInInjectionContext } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { ExpiryClock } from './expiry-clock';

describe('ExpiryClock', () => {
  let sut: ExpiryClock;
  let owner: EnvironmentInjector;

  const alarm = (ring: () => void, injector = owner) => runInInjectionContext(injector, () => sut.alarm(ring));

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T10:00:00.000Z') });
    sut = TestBed.inject(ExpiryClock);
    owner = createEnvironmentInjector([], TestBed.inject(EnvironmentInjector));
  });

  afterEach(() => vi.useRealTimers());

  describe('alarm', () => {
    it('rings once when its wait is over, not a moment before', () => {
      const ring = vi.fn();
      alarm(ring).set(5000);
      vi.advanceTimersByTime(4999);
      expect(ring).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(ring).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(60_000);
      expect(ring).toHaveBeenCalledTimes(1);
    });

    it('keeps one timeout for every alarm, ringing each at its own time', () => {
      const first = vi.fn();
      const second = vi.fn();
      alarm(first).set(3000);
      alarm(second).set(1000);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(1000);
      expect(second).toHaveBeenCalledTimes(1);
      expect(first).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(2000);
      expect(first).toHaveBeenCalledTimes(1);
      expect(sut.running).toBe(false);
    });

    it('replaces its wait on every set, and is silenced by null or by its owner going away', () => {
      const ring = vi.fn();
      const other = createEnvironmentInjector([], TestBed.inject(EnvironmentInjector));
      const first = alarm(ring);
      first.set(1000);
      first.set(4000);
      vi.advanceTimersByTime(1000);
      expect(ring).not.toHaveBeenCalled();
      first.set(null);
      vi.advanceTimersByTime(10_000);
      expect(ring).not.toHaveBeenCalled();

      alarm(ring, other).set(1000);
      other.destroy();
      expect(sut.running).toBe(false);
      vi.advanceTimersByTime(10_000);
      expect(ring).not.toHaveBeenCalled();
    });

    it('waits beyond what one timeout can hold, in steps', () => {
      const ring = vi.fn();
      const fourWeeks = 28 * 24 * 3600 * 1000;
      alarm(ring).set(fourWeeks);
      vi.advanceTimersByTime(2 ** 31 - 1);
      expect(ring).not.toHaveBeenCalled();
      expect(sut.running).toBe(true);
      vi.advanceTimersByTime(fourWeeks - (2 ** 31 - 1));
      expect(ring).toHaveBeenCalledTimes(1);
    });
  });
});
