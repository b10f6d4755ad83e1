// A Redis logical database of its own for a runner script, flushed when claimed and when released.
// Every other test uses database 0 with a key prefix; the browser tests take one of 7-15, marked with
// an owner key that expires unless renewed, so two runs on one machine never flush each other's data
// and a run that was killed frees its database within a minute.
import { Redis } from 'ioredis';

const OWNER_KEY = 'iris-runner:owner';
const OWNER_TTL_MS = 60_000;

/**
 * Claims the first free database from `first` to `last` on the Redis of `serverUrl` and empties it.
 * @returns {Promise<{ db: number, url: string, release: () => Promise<void> }>} `url` is `serverUrl`
 * with the database number as its path; `release` empties the database and never throws.
 */
export async function claimRedisDatabase(serverUrl, owner, { first = 7, last = 15 } = {}) {
  for (let db = first; db <= last; db++) {
    const redis = new Redis(serverUrl, { db, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
    // connect() rejects with "Connection is closed."; the reason comes as an error event.
    let reason;
    redis.on('error', (error) => (reason = error));
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      // Past the first, a failure is the server's number of databases running out.
      if (db === first) throw new Error(`Redis is not reachable at ${serverUrl} (${(reason ?? error).message})`);
      break;
    }
    if ((await redis.set(OWNER_KEY, owner, 'PX', OWNER_TTL_MS, 'NX')) !== 'OK') {
      redis.disconnect();
      continue;
    }
    await redis.multi().flushdb().set(OWNER_KEY, owner, 'PX', OWNER_TTL_MS).exec();
    const renewal = setInterval(() => void redis.set(OWNER_KEY, owner, 'PX', OWNER_TTL_MS).catch(() => undefined), OWNER_TTL_MS / 3);
    const url = new URL(serverUrl);
    url.pathname = `/${db}`;
    return {
      db,
      url: url.toString(),
      release: async () => {
        clearInterval(renewal);
        try {
          await redis.flushdb();
          await redis.quit();
        } catch (error) {
          redis.disconnect();
          console.error(`could not empty Redis database ${db}: ${error.message}`);
        }
      },
    };
  }
  throw new Error(`every Redis database from ${first} to ${last} at ${serverUrl} is held by another run`);
}
