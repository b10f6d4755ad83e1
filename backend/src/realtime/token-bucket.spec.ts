import { FakeClock } from '../../test/helpers/fake-clock.js';
import { TokenBucket } from './token-bucket.js';

const START = new Date('2030-01-01T00:00:00Z');

describe('TokenBucket', () => {
  let clock: FakeClock;
  let sut: TokenBucket;

  beforeEach(() => {
    clock = new FakeClock(START);
    sut = new TokenBucket(5, 10_000, clock);
  });

  const takeMany = (n: number) => Array.from({ length: n }, () => sut.take());

  describe('take', () => {
    it('allows a burst of the capacity, then refuses', () => {
      const results = takeMany(6);

      expect(results.slice(0, 5).every((r) => r.allowed)).toBe(true);
      expect(results[5]).toEqual({ allowed: false, firstRefusal: true, retryAfterSeconds: 2 });
    });

    it('reports only the first refusal of a run as first', () => {
      takeMany(5);

      const refusals = takeMany(3);

      expect(refusals.map((r) => !r.allowed && r.firstRefusal)).toEqual([true, false, false]);
    });

    it('refills one token per period/capacity, and a new run of refusals is reported again', () => {
      takeMany(6);

      clock.advance(1_999);
      expect(sut.take()).toMatchObject({ allowed: false, firstRefusal: false, retryAfterSeconds: 1 });
      clock.advance(1);
      expect(sut.take()).toEqual({ allowed: true });
      expect(sut.take()).toMatchObject({ allowed: false, firstRefusal: true });
    });

    it('lets a steady rate of capacity per period through indefinitely', () => {
      takeMany(5);

      for (let i = 0; i < 50; i++) {
        clock.advance(2_000);
        expect(sut.take()).toEqual({ allowed: true });
      }
    });

    it('never holds more than the capacity after a long pause', () => {
      clock.advance(3_600_000);

      expect(takeMany(6).map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
    });

    it('survives a clock moved back without granting or draining tokens', () => {
      takeMany(3);
      clock.advance(-60_000);

      expect(takeMany(3).map((r) => r.allowed)).toEqual([true, true, false]);
    });
  });
});
