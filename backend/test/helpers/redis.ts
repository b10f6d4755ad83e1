import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';

/** The Redis the scale-out tests use; like TEST_DATABASE_URL, read only by the tests. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether tests needing Redis can run. On a machine without Redis they are skipped; in CI (`CI` set,
 * where .ci/run starts Redis) they always run, so a missing Redis fails them instead of hiding them.
 */
export async function redisAvailable(): Promise<boolean> {
  if (process.env.CI) return true;
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A key prefix no other test uses, so parallel test files never see each other's keys or channels. */
export function uniqueRedisPrefix(): string {
  return `iris-test-${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}
