import { RateLimiter } from './rate-limit.guard.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';


const LIMIT = 3;
const WINDOW_MS = 60_000;

describe('RateLimiter', () => {
  let clock: FakeClock;
  let sut: RateLimiter;

  beforeEach(() => {
    clock = new FakeClock(new Date('2030-01-01T00:00:00Z'));
    sut = new RateLimiter(clock);
  });

  const hitTimes = (key: string, times: number) => Array.from({ length: times }, () => sut.hit(key, LIMIT, WINDOW_MS));

  describe('hit', () => {
    it('allows `limit` hits in one window', () => {
      expect(hitTimes('auth:login:1.2.3.4', LIMIT)).toEqual([0, 0, 0]);
    });

    it('answers the next hit with the whole seconds left in the window', () => {
      hitTimes('auth:login:1.2.3.4', LIMIT);
      clock.advance(20_500);

      expect(sut.hit('auth:login:1.2.3.4', LIMIT, WINDOW_MS)).toBe(40);
    });

    it('never answers less than 1 s while still blocked', () => {
      hitTimes('auth:login:1.2.3.4', LIMIT);
      clock.advance(WINDOW_MS - 1);

      expect(sut.hit('auth:login:1.2.3.4', LIMIT, WINDOW_MS)).toBe(1);
    });

    it('keeps refusing further hits in the same window', () => {
      hitTimes('auth:login:1.2.3.4', LIMIT);

      const refused = hitTimes('auth:login:1.2.3.4', 3);

      expect(refused.every((seconds) => seconds >= 1)).toBe(true);
    });

    it('allows again once the window has passed', () => {
      hitTimes('auth:login:1.2.3.4', LIMIT + 1);
      clock.advance(WINDOW_MS);

      expect(hitTimes('auth:login:1.2.3.4', LIMIT)).toEqual([0, 0, 0]);
      expect(sut.hit('auth:login:1.2.3.4', LIMIT, WINDOW_MS)).toBe(60);
    });

    it('counts each key on its own', () => {
      hitTimes('auth:login:1.2.3.4', LIMIT);

      expect(sut.hit('auth:login:5.6.7.8', LIMIT, WINDOW_MS)).toBe(0);
      expect(sut.hit('auth:register:1.2.3.4', LIMIT, WINDOW_MS)).toBe(0);
      expect(sut.hit('auth:login:1.2.3.4', LIMIT, WINDOW_MS)).toBeGreaterThanOrEqual(1);
    });
  });
});
