import { PeerTyping } from './peer-typing';

describe('PeerTyping', () => {
  let sut: PeerTyping;

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T10:00:00.000Z') });
    sut = new PeerTyping();
  });

  afterEach(() => vi.useRealTimers());

  describe('showUntil', () => {
    it('is active until the given time, and not at all for a time already past', () => {
      sut.showUntil(Date.now() + 3000);
      expect(sut.active()).toBe(true);
      vi.advanceTimersByTime(3000);
      expect(sut.active()).toBe(false);

      sut.showUntil(Date.now() - 1);
      expect(sut.active()).toBe(false);
    });
  });

  describe('stop', () => {
    it('ends it at once and leaves no timer behind', () => {
      sut.showUntil(Date.now() + 3000);
      sut.stop();
      expect(sut.active()).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
