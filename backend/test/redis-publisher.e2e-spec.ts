import { Redis } from 'ioredis';
import { closeRedisClient, createRedisPublisher } from '../src/realtime/redis-client.js';
import { redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './helpers/redis.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

/** Resolves on the client's next `ready` (events' `once` would reject on the errors of the outage). */
const ready = (client: Redis) => new Promise((resolve) => client.once('ready', resolve));

const withRedis = (await redisAvailable()) ? describe : describe.skip;

withRedis('the Socket.IO publisher when its connection to Redis drops (e2e; needs Redis)', () => {
  const channel = `${uniqueRedisPrefix()}socket.io`;
  let proxy: TcpProxy;
  let publisher: Redis;
  let subscriber: Redis;
  const received: string[] = [];
  beforeAll(async () => {
    const redis = new URL(TEST_REDIS_URL);
    proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    await proxy.start();
    publisher = createRedisPublisher(`redis://127.0.0.1:${proxy.port}`, 'test publisher');
    subscriber = new Redis(TEST_REDIS_URL);
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe(channel);
    if (publisher.status !== 'ready') await ready(publisher);
  });
  afterAll(async () => {
    await closeRedisClient(publisher);
    subscriber.disconnect();
    await proxy.stop();
  });

  it('rejects a publish that was in flight when the connection dropped, and never sends it after the reconnection', async () => {
    // The publish is written to the connection but never answered: Redis has not seen it when the
    // connection is cut. Sent again after the reconnection it would reach the other instances late,
    // after their clients had already caught up on the message.
    proxy.hold();
    const inFlight = publisher.publish(channel, 'in flight').then(
      () => 'sent',
      () => 'rejected',
    );
    await proxy.stop();
    await proxy.start();
    await ready(publisher);
    await publisher.publish(channel, 'after');
    for (const deadline = Date.now() + 5_000; !received.includes('after') && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(await inFlight).toBe('rejected');
    // What the publisher sends again on reconnecting goes before any new command: 'after' came last.
    expect(received).toEqual(['after']);
  });
});
