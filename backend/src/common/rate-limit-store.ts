import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { askPrimary } from './primary-channel.js';
import { MemoryRateLimitStore, RateLimitStore, type WindowState } from './rate-limit-windows.js';
import { isClusterWorker } from './workers.js';

export { MemoryRateLimitStore, RateLimitStore, type WindowState } from './rate-limit-windows.js';

// KEYS[1] the counter; ARGV: now, window ms. One round trip, atomic, so instances never double count.
const HIT = `
local now = tonumber(ARGV[1])
local reset = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
local count
if reset <= now then
  reset = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'c', 1, 'r', reset)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  count = 1
else
  count = redis.call('HINCRBY', KEYS[1], 'c', 1)
end
return { count, tostring(reset) }`;

/**
 * Shared by every instance on one Redis, so a limit holds however many instances there are. While
 * Redis is unreachable each instance counts in its own memory, as without REDIS_URL: the limits
 * loosen (times the number of instances) but never vanish, and sign-in keeps working.
 */
export class RedisRateLimitStore extends RateLimitStore implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisRateLimitStore.name);
  private readonly redis: Redis;
  private readonly fallback = new MemoryRateLimitStore();
  private down = false;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    super();
    // Without the offline queue a command fails at once while Redis is away, instead of holding the request.
    this.redis = new Redis(url, { connectionName: 'iris-rate-limits', maxRetriesPerRequest: 1, enableOfflineQueue: false, disconnectTimeout: 200 });
    this.redis.on('error', () => undefined);
  }

  hit(key: string, windowMs: number, now: number): Promise<WindowState> {
    return this.orFallback(
      async () => {
        const [count, resetAt] = (await this.redis.eval(HIT, 1, this.key(key), now, windowMs)) as [number, string];
        return { count, resetAt: Number(resetAt) };
      },
      () => this.fallback.hit(key, windowMs, now),
    );
  }

  peek(key: string, now: number): Promise<WindowState | null> {
    return this.orFallback(
      async () => {
        const [count, resetAt] = await this.redis.hmget(this.key(key), 'c', 'r');
        if (count === null || resetAt === null || Number(resetAt) <= now) return null;
        return { count: Number(count), resetAt: Number(resetAt) };
      },
      () => this.fallback.peek(key, now),
    );
  }

  reset(key: string): Promise<void> {
    return this.orFallback(
      async () => {
        await this.redis.del(this.key(key));
      },
      () => this.fallback.reset(key),
    );
  }

  private async orFallback<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      const answer = await shared();
      if (this.down) this.logger.log('Redis is reachable again; rate limits count across instances');
      this.down = false;
      return answer;
    } catch (error) {
      if (!this.down) this.logger.error(`Redis is unreachable (${(error as Error).message}); rate limits count in this process until it is back`);
      this.down = true;
      return local();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private key(key: string): string {
    return `${this.prefix}ratelimit:${key}`;
  }
}

/**
 * Of several workers without Redis: the counters live in the primary, so a limit holds whichever
 * worker a request lands on (one IPC round trip per hit).
 */
export class PrimaryRateLimitStore extends RateLimitStore {
  hit(key: string, windowMs: number, now: number): Promise<WindowState> {
    return askPrimary('rate.hit', key, windowMs, now);
  }

  peek(key: string, now: number): Promise<WindowState | null> {
    return askPrimary('rate.peek', key, now);
  }

  async reset(key: string): Promise<void> {
    await askPrimary('rate.reset', key);
  }
}

export function rateLimitStoreFor(redisUrl: string | undefined, prefix: string): RateLimitStore {
  if (redisUrl) return new RedisRateLimitStore(redisUrl, prefix);
  return isClusterWorker() ? new PrimaryRateLimitStore() : new MemoryRateLimitStore();
}
