import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  ServiceUnavailableException,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../config/app-config.js';
import { Clock } from './clock.js';
import type { AuthenticatedRequest } from './current-user.decorator.js';
import { RateLimitStore, type WindowState } from './rate-limit-store.js';

export type RateLimitBucket = 'auth' | 'export' | 'send' | 'upload' | 'search' | 'friendRequest';

interface RateLimitPolicy {
  limit: number;
  windowMs: number;
  /** Whom the counter follows: the client IP (routes used before signing in) or the signed-in user. */
  per: 'ip' | 'user';
}

const LIMITS: Record<RateLimitBucket, (config: AppConfig) => RateLimitPolicy> = {
  auth: (config) => ({ limit: config.AUTH_RATE_LIMIT_PER_MINUTE, windowMs: 60_000, per: 'ip' }),
  // An export reads everything a user has; per user, so that other devices or addresses do not get more.
  export: () => ({ limit: 1, windowMs: 600_000, per: 'user' }),
  // Each upload costs disk and, for images, a decode: per user, so one account cannot flood the box.
  upload: (config) => ({ limit: config.UPLOAD_RATE_LIMIT_PER_MINUTE, windowMs: 60_000, per: 'user' }),
  // Generous for a person typing; it stops a script from flooding a peer (and the database).
  send: (config) => ({ limit: config.SEND_RATE_LIMIT_PER_MINUTE, windowMs: 60_000, per: 'user' }),
  // Enough for search-as-you-type; it stops a script from walking the whole user directory.
  search: (config) => ({ limit: config.SEARCH_RATE_LIMIT_PER_MINUTE, windowMs: 60_000, per: 'user' }),
  // Each request lands in someone's list and on their socket: per hour, so nobody is spammed with them.
  friendRequest: (config) => ({ limit: config.FRIEND_REQUEST_RATE_LIMIT_PER_HOUR, windowMs: 3_600_000, per: 'user' }),
};

const RATE_LIMIT = 'iris:rateLimit';

/**
 * The counter of one client of a bucket's route: its key, limit and window. `route` is the handler's
 * name; another way in to the same action (a socket's `message.send` to the `send` route) names the
 * route's handler, so that both count into one window.
 */
export function rateLimitWindow(config: AppConfig, bucket: RateLimitBucket, route: string, client: string) {
  const { limit, windowMs } = LIMITS[bucket](config);
  return { key: `${bucket}:${route}:${client}`, limit, windowMs };
}

/** 429 with a stable code; the exception filter turns `retryAfterSeconds` into the Retry-After header. */
export class RateLimitedException extends HttpException {
  constructor(
    readonly retryAfterSeconds: number,
    message = `Too many attempts; try again in ${retryAfterSeconds} s`,
  ) {
    super({ code: 'RATE_LIMITED', message }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Limits how often one client IP (`auth`) or one signed-in user (the other buckets) may call the route:
 * `@RateLimit('auth')`. Answers 429 with Retry-After.
 */
export const RateLimit = (bucket: RateLimitBucket) => applyDecorators(SetMetadata(RATE_LIMIT, bucket), UseGuards(RateLimitGuard));

/**
 * Fixed-window counters in Redis when REDIS_URL is set (every instance counts into the same window),
 * in this process's memory otherwise. Time comes from the injectable clock.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);

  constructor(
    private readonly store: RateLimitStore,
    private readonly clock: Clock,
  ) {}

  /** Counts one hit; returns 0 when allowed, otherwise the seconds until the window resets. */
  async hit(key: string, limit: number, windowMs: number): Promise<number> {
    const now = this.clock.now().getTime();
    const window = await this.guarded(() => this.store.hit(key, windowMs, now));
    return window.count <= limit ? 0 : secondsUntil(window.resetAt, now);
  }

  /** Counts one hit and answers how many the window holds now. */
  async count(key: string, windowMs: number): Promise<number> {
    const now = this.clock.now().getTime();
    return (await this.guarded(() => this.store.hit(key, windowMs, now))).count;
  }

  /** The window of `key` now, without counting; null when none is open. */
  async peek(key: string): Promise<(WindowState & { retryAfterSeconds: number }) | null> {
    const now = this.clock.now().getTime();
    const window = await this.guarded(() => this.store.peek(key, now));
    return window && { ...window, retryAfterSeconds: secondsUntil(window.resetAt, now) };
  }

  async reset(key: string): Promise<void> {
    await this.guarded(() => this.store.reset(key));
  }

  /** Throws RateLimitedException when the hit is over the limit. */
  async enforce(key: string, limit: number, windowMs: number, message?: string): Promise<void> {
    const retryAfter = await this.hit(key, limit, windowMs);
    if (retryAfter > 0) throw new RateLimitedException(retryAfter, message);
  }

  // A limit that cannot be checked is not waved through: the caller gets a retryable 503.
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.logger.error(`Rate limit check failed: ${(error as Error).message}`);
      throw new ServiceUnavailableException({ code: 'SERVICE_UNAVAILABLE', message: 'The server cannot check its limits right now; try again' });
    }
  }
}

const secondsUntil = (resetAt: number, now: number) => Math.max(1, Math.ceil((resetAt - now) / 1000));

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const bucket = this.reflector.get<RateLimitBucket | undefined>(RATE_LIMIT, context.getHandler());
    if (!bucket) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { per } = LIMITS[bucket](this.config);
    // Runs after the global access-token guard, so a per-user route has its user here.
    const client = per === 'ip' ? request.ip : (request.user?.id ?? request.claims?.userId);
    if (!client) throw new Error(`The rate limit bucket "${bucket}" counts per user, but the route has no signed-in user`);
    const { key, limit, windowMs } = rateLimitWindow(this.config, bucket, context.getHandler().name, client);
    await this.limiter.enforce(key, limit, windowMs);
    return true;
  }
}
