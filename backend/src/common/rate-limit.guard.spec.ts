import { ServiceUnavailableException } from '@nestjs/common';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { MemoryRateLimitStore, type RateLimitStore } from './rate-limit-store.js';
import { RateLimitedException, RateLimiter } from './rate-limit.guard.js';

const LIMIT = 3;
const WINDOW_MS = 60_000;

describe('RateLimiter', () => {
  let clock: FakeClock;
  let sut: RateLimiter;

  beforeEach(() => {
    clock = new FakeClock(new Date('2030-01-01T00:00:00Z'));
    sut = new RateLimiter(new MemoryRateLimitStore(), clock);
  });

  const hitTimes = async (key: string, times: number) => {
    const answers: number[] = [];
    for (let i = 0; i < times; i++) answers.push(await sut.hit(key, LIMIT, WINDOW_MS));
    return answers;
  };

  describe('hit', () => {
    it('allows `limit` hits in one window', async () => {
      expect(await hitTimes('auth:login:1.2.3.4', LIMIT)).toEqual([0, 0, 0]);
    });

    it('answers the next hit with the whole seconds left in the window', async () => {
      await hitTimes('auth:login:1.2.3.4', LIMIT);
      clock.advance(20_500);

      expect(await sut.hit('auth:login:1.2.3.4', LIMIT, WINDOW_MS)).toBe(40);
    });

    it('never answers less than 1 s while still blocked', async () => {
      await hitTimes('auth:login:1.2.3.4', LIMIT);
      clock.advance(WINDOW_MS - 1);

      expect(await sut.hit('auth:login:1.2.3.4', LIMIT, WINDOW_MS)).toBe(1);
    });

    it('keeps refusing further hits in the same window', async () => {
      await hitTimes('auth:login:1.2.3.4', LIMIT);

      const refused = await hitTimes('auth:login:1.2.3.4', 3);

      expect(refused.every((seconds) => seconds >= 1)).toBe(true);
    });

    it('allows again once the window has passed', async () => {
      await hitTimes('auth:login:1.2.3.4', LIMIT + 1);
      clock.advance(WINDOW_MS);

      expect(await hitTimes('auth:login:1.2.3.4', LIMIT)).toEqual([0, 0, 0]);
      expect(await sut.hit('auth:login:1.2.3.4', LIMIT, WINDOW_MS)).toBe(60);
    });

    it('counts each key on its own', async () => {
      await hitTimes('auth:login:1.2.3.4', LIMIT);

      expect(await sut.hit('auth:login:5.6.7.8', LIMIT, WINDOW_MS)).toBe(0);
      expect(await sut.hit('auth:register:1.2.3.4', LIMIT, WINDOW_MS)).toBe(0);
      expect(await sut.hit('auth:login:1.2.3.4', LIMIT, WINDOW_MS)).toBeGreaterThanOrEqual(1);
    });
  });

  describe('peek', () => {
    it('answers the open window without counting, and null once it passed', async () => {
      await sut.count('lock', 90_000);

      expect(await sut.peek('lock')).toEqual({ count: 1, resetAt: clock.now().getTime() + 90_000, retryAfterSeconds: 90 });
      expect((await sut.peek('lock'))?.count).toBe(1);
      clock.advance(90_000);
      expect(await sut.peek('lock')).toBeNull();
    });
  });

  describe('enforce', () => {
    it('throws RATE_LIMITED with the seconds to wait once over the limit', async () => {
      await hitTimes('k', LIMIT);

      const error = await sut.enforce('k', LIMIT, WINDOW_MS).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(RateLimitedException);
      expect((error as RateLimitedException).retryAfterSeconds).toBe(60);
      expect((error as RateLimitedException).getResponse()).toMatchObject({ code: 'RATE_LIMITED' });
    });

    it('answers a retryable 503 when the counters cannot be reached, never letting the call through', async () => {
      const broken: RateLimitStore = { hit: () => Promise.reject(new Error('ECONNREFUSED')), peek: () => Promise.reject(new Error('x')), reset: () => Promise.resolve() };
      sut = new RateLimiter(broken, clock);

      await expect(sut.enforce('k', LIMIT, WINDOW_MS)).rejects.toBeInstanceOf(ServiceUnavailableException);
    });
  });
});
