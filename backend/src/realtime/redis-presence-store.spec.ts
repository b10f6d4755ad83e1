import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { deleteRedisKeys, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from '../../test/helpers/redis.js';
import { createRedisClient } from './redis-client.js';
import { INSTANCE_TTL_MS, RedisPresenceStore } from './redis-presence-store.js';

const describeWithRedis = (await redisAvailable()) ? describe : describe.skip;

describeWithRedis(`RedisPresenceStore (needs Redis at ${TEST_REDIS_URL}; skipped without it outside CI)`, () => {
  let prefix: string;
  let redis: Redis;
  let stores: RedisPresenceStore[];

  /** One instance's store, heartbeat written, as the gateway has it before accepting sockets. */
  const anInstance = async () => {
    const store = new RedisPresenceStore(new Redis(TEST_REDIS_URL), prefix);
    stores.push(store);
    await store.maintain();
    return store;
  };
  const instanceKey = (store: RedisPresenceStore) => `${prefix}presence:instance:${store.instanceId}`;

  beforeEach(() => {
    prefix = uniqueRedisPrefix();
    redis = new Redis(TEST_REDIS_URL);
    stores = [];
  });

  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await redis.quit();
    await deleteRedisKeys(prefix);
  });

  describe('connect and disconnect', () => {
    it('reports online for the first socket on any instance and offline for the last', async () => {
      const a = await anInstance();
      const b = await anInstance();

      expect(await a.connect('ada', 's1')).toBe(true);
      expect(await b.connect('ada', 's2')).toBe(false);
      expect(await a.connect('ada', 's3')).toBe(false);
      expect(await a.disconnect('ada', 's1')).toBe(false);
      expect(await a.disconnect('ada', 's3')).toBe(false);
      expect(await b.disconnect('ada', 's2')).toBe(true);
    });

    it('does not report offline for a socket it never had', async () => {
      const a = await anInstance();
      const b = await anInstance();
      await b.connect('ada', 's1');

      expect(await a.disconnect('ada', 's1')).toBe(false);
      expect(await b.online(['ada'])).toEqual(new Set(['ada']));
    });
  });

  describe('online', () => {
    it("answers for every instance's sockets", async () => {
      const a = await anInstance();
      const b = await anInstance();
      await a.connect('ada', 's1');
      await b.connect('bob', 's2');

      expect(await a.online(['ada', 'bob', 'cy'])).toEqual(new Set(['ada', 'bob']));
      expect(await a.online([])).toEqual(new Set());
    });
  });

  describe('maintain', () => {
    it('keeps a heartbeat key that expires after INSTANCE_TTL_MS unless renewed', async () => {
      const a = await anInstance();

      const ttl = await redis.pttl(instanceKey(a));

      expect(ttl).toBeGreaterThan(INSTANCE_TTL_MS - 5_000);
      expect(ttl).toBeLessThanOrEqual(INSTANCE_TTL_MS);
    });

    it("stops counting a crashed instance's sockets as soon as its heartbeat lapses, and reports those users offline once", async () => {
      const survivor = await anInstance();
      const crashed = await anInstance();
      await crashed.connect('ada', 's1');
      await crashed.connect('bob', 's2');
      await survivor.connect('bob', 's3');

      // What the key's expiry does when the crashed instance stops renewing it.
      await redis.del(instanceKey(crashed));

      expect(await survivor.online(['ada', 'bob'])).toEqual(new Set(['bob']));
      expect(await survivor.maintain()).toEqual({ online: [], offline: ['ada'] });
      expect(await survivor.maintain()).toEqual({ online: [], offline: [] });
      expect(await redis.exists(`${prefix}presence:instance-users:${crashed.instanceId}`)).toBe(0);
      expect(await redis.sismember(`${prefix}presence:instances`, crashed.instanceId)).toBe(0);
      expect(await survivor.disconnect('bob', 's3')).toBe(true);
    });

    it('writes its sockets back when Redis lost them (a restart), and reports those users online again', async () => {
      const a = await anInstance();
      await a.connect('ada', 's1');
      await a.connect('bob', 's2');
      await a.disconnect('bob', 's2');

      await deleteRedisKeys(prefix);
      expect(await a.online(['ada'])).toEqual(new Set());

      expect(await a.maintain()).toEqual({ online: ['ada'], offline: [] });
      expect(await a.online(['ada', 'bob'])).toEqual(new Set(['ada']));
    });
  });

  describe('close', () => {
    it('removes its sockets and its heartbeat, so its users are offline for the other instances at once; a second close is harmless', async () => {
      const a = await anInstance();
      const b = await anInstance();
      await a.connect('ada', 's1');

      await a.close();
      await a.close();

      expect(await b.online(['ada'])).toEqual(new Set());
      expect(await redis.exists(instanceKey(a))).toBe(0);
      expect(await b.maintain()).toEqual({ online: [], offline: [] });
    });
  });
});

describe('RedisPresenceStore with Redis unreachable', () => {
  // The outage is logged; here it is expected.
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(true));

  it('reports nobody online and never throws', async () => {
    const sut = new RedisPresenceStore(createRedisClient('redis://127.0.0.1:1', 'test', { maxRetriesPerRequest: 0 }), 'iris-test:');

    expect(await sut.maintain()).toEqual({ online: [], offline: [] });
    expect(await sut.connect('ada', 's1')).toBe(false);
    expect(await sut.online(['ada'])).toEqual(new Set());
    expect(await sut.disconnect('ada', 's1')).toBe(false);
    await expect(sut.close()).resolves.toBeUndefined();
  });
});
