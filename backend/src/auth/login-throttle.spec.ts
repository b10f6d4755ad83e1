import { FakeClock } from '../../test/helpers/fake-clock.js';
import { MemoryRateLimitStore } from '../common/rate-limit-store.js';
import { RateLimitedException, RateLimiter } from '../common/rate-limit.guard.js';
import { AppConfig } from '../config/app-config.js';
import { LoginThrottle, passwordSubject, secondStepSubject } from './login-throttle.js';

describe('LoginThrottle', () => {
  let clock: FakeClock;
  let sut: LoginThrottle;

  beforeEach(() => {
    clock = new FakeClock(new Date('2030-01-01T00:00:00Z'));
    const config = Object.assign(new AppConfig(), { LOGIN_FAILURES_PER_ACCOUNT: 3 });
    sut = new LoginThrottle(new RateLimiter(new MemoryRateLimitStore(), clock), config);
  });

  const wrong = () => Promise.resolve(false);
  const right = () => Promise.resolve(true);
  const fail = async (times: number, subject = passwordSubject('Ada')) => {
    for (let i = 0; i < times; i++) await sut.attempt(subject, wrong);
  };
  /** Whether the account takes an attempt now: a right one, so that it does not count against it. */
  const open = (subject = passwordSubject('ada')) => sut.attempt(subject, right);
  /** The Retry-After of a locked account (0 when it is open; then the right answer clears its count). */
  const retryAfter = () => open().then(
    () => 0,
    (error: unknown) => (error as RateLimitedException).retryAfterSeconds,
  );

  it('lets an account be tried until its failures reach the limit, in any case of the name', async () => {
    await fail(2);
    await fail(1, passwordSubject('ADA'));
    await expect(open(passwordSubject('ADA'))).rejects.toBeInstanceOf(RateLimitedException);
  });

  it('never verifies more guesses than the limit when they arrive at once', async () => {
    let verified = 0;
    const slowWrong = async () => {
      verified++;
      await new Promise((resolve) => setImmediate(resolve));
      return false;
    };
    const answers = await Promise.allSettled(Array.from({ length: 10 }, () => sut.attempt(passwordSubject('ada'), slowWrong)));

    expect(verified).toBe(3);
    expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(3);
    expect(answers.filter((answer) => answer.status === 'rejected' && answer.reason instanceof RateLimitedException)).toHaveLength(7);
  });

  it('locks for a minute, then two, then four: a growing window that always ends', async () => {
    await fail(3);
    expect(await retryAfter()).toBe(60);
    clock.advance(60_000);
    await fail(2);
    await expect(sut.attempt(passwordSubject('ada'), wrong)).resolves.toBe(false);
    expect(await retryAfter()).toBe(120);
    clock.advance(120_000);
    await fail(3);
    expect(await retryAfter()).toBe(240);
  });

  it('never locks for more than an hour', async () => {
    for (let round = 0; round < 10; round++) {
      await fail(3);
      clock.advance((await retryAfter()) * 1000);
    }
    await fail(3);
    expect(await retryAfter()).toBe(3600);
  });

  it('forgets failures and earlier locks after a right answer', async () => {
    await fail(3);
    clock.advance(60_000);
    await fail(2);
    await expect(open()).resolves.toBe(true);
    await fail(2);
    await expect(open()).resolves.toBe(true);
    await fail(3);
    expect(await retryAfter()).toBe(60);
  });

  it('counts each account on its own', async () => {
    await fail(3);
    await expect(open(passwordSubject('grace'))).resolves.toBe(true);
  });

  it('counts a name as the sign-in finds it: padded with spaces or tabs it is the same account', async () => {
    for (const padded of [' ada', 'ada\t', '\u00a0ADA ']) await sut.attempt(passwordSubject(padded), wrong);
    await expect(open()).rejects.toBeInstanceOf(RateLimitedException);
  });

  it('keeps a made-up username apart from an account’s second step', async () => {
    const userId = '00000000-0000-4000-8000-000000000001';
    await fail(3, passwordSubject(`mfa:${userId}`));
    await expect(open(secondStepSubject(userId))).resolves.toBe(true);
  });
});
