import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis client that logs an outage once (not once per retry) and keeps reconnecting, so an
 * unreachable Redis degrades real time instead of stopping the process.
 */
export function createRedisClient(url: string, role: string, options: RedisOptions = {}): Redis {
  const logger = new Logger(`Redis (${role})`);
  const client = new Redis(url, {
    connectionName: `iris-${role.replace(/\W+/g, '-')}`,
    // How long a closing connection may take before it is destroyed; ioredis waits 2 s even for one
    // that is already gone (while reconnecting), which keeps a stopping process alive for nothing.
    disconnectTimeout: 200,
    ...options,
  });
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.error(`Redis is unreachable (${error.message}); real-time events between instances and presence are degraded until it is back`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log('Redis is reachable again');
  });
  return client;
}

/**
 * The client the Socket.IO adapter publishes on. A publish fails rather than arriving late: a late
 * event would reach the other instances' clients after they had caught up on it, a second time and out
 * of order. So nothing is queued while Redis is down (`enableOfflineQueue`), and a publish already
 * written when the connection drops is rejected at once (`maxRetriesPerRequest: 0`) instead of being
 * sent again after the reconnection, which ioredis does for unanswered commands below its retry limit.
 */
export function createRedisPublisher(url: string, role: string): Redis {
  return createRedisClient(url, role, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
}

/**
 * The Socket.IO Redis adapter fires these commands without handling their promises; a rejection
 * while Redis is down would be an unhandled rejection, which ends a Node process.
 */
export function catchCommandRejections(
  client: Redis,
  commands: ('publish' | 'psubscribe' | 'subscribe' | 'punsubscribe' | 'unsubscribe')[],
  onRejected: () => void = () => undefined,
): void {
  const target = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of commands) {
    const original = target[name].bind(client);
    target[name] = (...args: unknown[]) => {
      const result = original(...args);
      return result instanceof Promise ? result.catch(onRejected) : result;
    };
  }
}

/**
 * Calls `listener` each time all of `clients` are ready again after any of them lost its connection
 * (not on the first connection).
 */
export function onReconnected(clients: Redis[], listener: () => void): void {
  let lost = false;
  for (const client of clients) {
    client.on('close', () => (lost = true));
    client.on('ready', () => {
      if (!lost || !clients.every((other) => other.status === 'ready')) return;
      lost = false;
      listener();
    });
  }
}

/** Quits politely when connected; otherwise stops the reconnection attempts at once. Closing twice is harmless. */
export async function closeRedisClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through to a hard disconnect.
    }
  }
  client.disconnect();
}
