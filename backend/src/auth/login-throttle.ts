import { Injectable } from '@nestjs/common';
import { RateLimitedException, RateLimiter } from '../common/rate-limit.guard.js';
import { AppConfig } from '../config/app-config.js';

const FAILURE_WINDOW_MS = 15 * 60_000;
const FIRST_LOCK_MS = 60_000;
const LONGEST_LOCK_MS = 60 * 60_000;
/** How long earlier locks count towards the length of the next one. */
const STRIKE_MEMORY_MS = 24 * 60 * 60_000;

/**
 * Failed sign-ins per account, whichever addresses they come from (the per-IP limit is the `auth`
 * bucket): after LOGIN_FAILURES_PER_ACCOUNT failures the account refuses passwords for a minute, then
 * two, four ... up to an hour; never for good, and a passkey still gets its owner in. Unknown usernames
 * are counted the same way, so the answer does not tell which accounts exist.
 *
 * An attempt is counted before the secret is checked (hit, then verify): counted afterwards, many
 * guesses sent at once would all pass the check before the first failure was recorded.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
  ) {}

  /**
   * Counts one attempt for `subject`, then runs `verify` and answers what it answered; `passed` tells
   * a right password or code from a wrong one (by default: `verify` answered true). Throws 429
   * RATE_LIMITED, without verifying, while the account is locked or when the window's attempts are
   * used up; a right answer clears the count, the last wrong one locks the account.
   */
  async attempt<T = boolean>(subject: string, verify: () => Promise<T>, passed: (result: T) => boolean = (result) => result === true): Promise<T> {
    const number = await this.begin(subject);
    const result = await verify();
    if (passed(result)) await this.succeeded(subject);
    else await this.failed(subject, number);
    return result;
  }

  /** Counts the attempt; answers its number in the failure window. */
  private async begin(subject: string): Promise<number> {
    const lock = await this.limiter.peek(lockKey(subject));
    if (lock) throw locked(lock.retryAfterSeconds);
    const number = await this.limiter.count(failureKey(subject), FAILURE_WINDOW_MS);
    if (number <= this.config.LOGIN_FAILURES_PER_ACCOUNT) return number;
    // The attempts of this window are taken by guesses still being checked; the last of them locks.
    const strikes = (await this.limiter.peek(strikeKey(subject)))?.count ?? 0;
    throw locked(Math.ceil(lockMs(strikes + 1) / 1000));
  }

  private async failed(subject: string, number: number): Promise<void> {
    if (number < this.config.LOGIN_FAILURES_PER_ACCOUNT) return;
    const strikes = await this.limiter.count(strikeKey(subject), STRIKE_MEMORY_MS);
    // The lock goes on before the count is cleared, so no attempt slips between the two.
    await this.limiter.count(lockKey(subject), lockMs(strikes));
    await this.limiter.reset(failureKey(subject));
  }

  private async succeeded(subject: string): Promise<void> {
    await this.limiter.reset(failureKey(subject));
    await this.limiter.reset(strikeKey(subject));
  }
}

const lockMs = (strikes: number) => Math.min(FIRST_LOCK_MS * 2 ** (strikes - 1), LONGEST_LOCK_MS);

const locked = (retryAfterSeconds: number) =>
  new RateLimitedException(retryAfterSeconds, `Too many failed sign-ins for this account; try again in ${retryAfterSeconds} s`);

/**
 * Whose failures count together. A username is taken as the sign-in finds it (trimmed, lower case), so
 * " alice" shares alice's count; the prefixes keep a made-up username from landing on a second step's count.
 */
export const passwordSubject = (username: string) => `name:${username.trim().toLowerCase()}`;
export const secondStepSubject = (userId: string) => `mfa:${userId}`;

const failureKey = (subject: string) => `login-failures:${subject}`;
const strikeKey = (subject: string) => `login-strikes:${subject}`;
const lockKey = (subject: string) => `login-lock:${subject}`;
