import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { Clock } from './clock.js';
import type { AuthenticatedRequest } from './current-user.decorator.js';

export type RateLimitBucket = 'auth' | 'export' | 'send' | 'upload';

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
};

const RATE_LIMIT = 'iris:rateLimit';
const PRUNE_ABOVE = 10_000;

/**
 * Limits how often one client IP (`auth`) or one signed-in user (`export`, `send`, `upload`) may call the route:
 * `@RateLimit('auth')`. Answers 429 with Retry-After.
 */
export const RateLimit = (bucket: RateLimitBucket) => applyDecorators(SetMetadata(RATE_LIMIT, bucket), UseGuards(RateLimitGuard));

/**
 * Fixed-window counters in this process's memory. Several instances each count on their own,
 * so the effective limit is the configured one times the number of instances.
 */
@Injectable()
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly clock: Clock) {}

  /** Counts one hit; returns 0 when allowed, otherwise the seconds until the window resets. */
  hit(key: string, limit: number, windowMs: number): number {
    const now = this.clock.now().getTime();
    if (this.windows.size > PRUNE_ABOVE) this.prune(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count <= limit ? 0 : Math.max(1, Math.ceil((window.resetAt - now) / 1000));
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.resetAt <= now) this.windows.delete(key);
    }
  }
}

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const bucket = this.reflector.get<RateLimitBucket | undefined>(RATE_LIMIT, context.getHandler());
    if (!bucket) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const { limit, windowMs, per } = LIMITS[bucket](this.config);
    // Runs after the global access-token guard, so a per-user route has its user here.
    const client = per === 'ip' ? request.ip : (request.user?.id ?? request.claims?.userId);
    if (!client) throw new Error(`The rate limit bucket "${bucket}" counts per user, but the route has no signed-in user`);
    const retryAfter = this.limiter.hit(`${bucket}:${context.getHandler().name}:${client}`, limit, windowMs);
    if (retryAfter === 0) return true;
    void http.getResponse<FastifyReply>().header('retry-after', String(retryAfter));
    throw new HttpException(
      { code: 'RATE_LIMITED', message: `Too many attempts; try again in ${retryAfter} s` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
