import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RealtimeGateway } from '../src/realtime/realtime.gateway.js';
import { RedisPresenceStore } from '../src/realtime/redis-presence-store.js';
import { befriend, openConversation } from './helpers/friends.js';
import { deleteRedisKeys, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './helpers/redis.js';
import { closeSockets, connect, refusal } from './helpers/sockets.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

interface Presence {
  userId: string;
  online: boolean;
}

const presenceOf = (userId: string, online: boolean) => (p: Presence) => p.userId === userId && p.online === online;

// Two instances must share one database: an in-memory PGlite belongs to a single process.
const describeScaleOut = testServerUrl() && (await redisAvailable()) ? describe : describe.skip;

describeScaleOut('real time across two instances (e2e; needs PostgreSQL via TEST_DATABASE_URL and Redis, skipped on PGlite)', () => {
  const prefix = uniqueRedisPrefix();
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    a = await createTestApp(env);
    b = await createTestApp(env, { sameDatabaseAs: a });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await deleteRedisKeys(prefix);
  });

  async function pair(): Promise<{ alice: Registered; bob: Registered; conversationId: string }> {
    const alice = await register(a.http);
    const bob = await register(b.http);
    await befriend(a.http, alice, bob);
    return { alice, bob, conversationId: await openConversation(a.http, alice, bob) };
  }

  it('delivers message.created to bob on instance B when alice sends over REST to instance A; charlie on B gets nothing of it', async () => {
    const { alice, bob, conversationId } = await pair();
    const charlie = await register(b.http);
    await befriend(b.http, charlie, alice);
    const withCharlie = await openConversation(b.http, charlie, alice);
    const bobSocket = await connect(b, bob.accessToken);
    const charlieSocket = await connect(b, charlie.accessToken);

    const sent = (
      await a.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: 'across' }).expect(201)
    ).body;

    expect(await bobSocket.waitFor('message.created')).toEqual(sent);
    const toCharlie = (
      await a.http.post(`/api/conversations/${withCharlie}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: 'marker' }).expect(201)
    ).body;
    const before = await charlieSocket.receivedBefore<{ id: string }>('message.created', (m) => m.id === toCharlie.id);
    expect(before.filter((r) => r.event.startsWith('message.'))).toEqual([]);
  });

  it('shows presence across instances: online, the snapshot of a new socket, and offline', async () => {
    const { alice, bob } = await pair();
    const charlie = await register(a.http);
    await befriend(a.http, charlie, bob);
    const aliceSocket = await connect(a, alice.accessToken);

    const bobSocket = await connect(b, bob.accessToken);
    expect(await aliceSocket.waitFor('presence', presenceOf(bob.id, true))).toEqual({ userId: bob.id, online: true });
    const charlieSocket = await connect(a, charlie.accessToken);
    expect(charlieSocket.of('presence')).toEqual([{ userId: bob.id, online: true }]);
    expect(await bobSocket.receivedBefore('ready')).toEqual([{ event: 'presence', data: { userId: alice.id, online: true } }]);
    await bobSocket.waitFor('presence', presenceOf(charlie.id, true));

    bobSocket.close();
    await aliceSocket.waitFor('presence', presenceOf(bob.id, false));
    await charlieSocket.waitFor('presence', presenceOf(bob.id, false));
  });

  it('closes the socket on instance B of a session that logs out on instance A', async () => {
    const alice = await register(a.http);
    const bSocket = await connect(b, alice.accessToken);

    await a.http.post('/api/auth/logout').set(bearer(alice.accessToken)).send({}).expect(204);

    expect(await bSocket.waitFor('error')).toMatchObject({ code: 'SESSION_REVOKED' });
    expect(await bSocket.disconnected()).toBe('io server disconnect');
    expect((await refusal(b, { auth: { token: alice.accessToken } })).data?.code).toBe('SESSION_REVOKED');
  });

  it('relays typing from a socket on instance A to the peer on instance B', async () => {
    const { alice, bob, conversationId } = await pair();
    const aliceSocket = await connect(a, alice.accessToken);
    const bobSocket = await connect(b, bob.accessToken);

    expect(await aliceSocket.emitWithAck('typing', { conversationId })).toEqual({ ok: true });

    expect(await bobSocket.waitFor('typing')).toMatchObject({ conversationId, userId: alice.id, ttlSeconds: 5 });
  });

  it('takes the users of an instance that died without closing offline once its heartbeat lapses', async () => {
    const { alice, bob } = await pair();
    // A third instance that holds bob's socket, then dies: it never closes, its heartbeat key just expires.
    const redis = new Redis(TEST_REDIS_URL);
    const dead = new RedisPresenceStore(new Redis(TEST_REDIS_URL), prefix);
    try {
      await dead.maintain();
      await dead.connect(bob.id, 'socket-on-the-dead-instance');
      const aliceSocket = await connect(a, alice.accessToken);
      expect(aliceSocket.of('presence')).toEqual([{ userId: bob.id, online: true }]);

      await redis.del(`${prefix}presence:instance:${dead.instanceId}`);
      await a.app.get(RealtimeGateway).tick();

      expect(await aliceSocket.waitFor('presence', presenceOf(bob.id, false))).toEqual({ userId: bob.id, online: false });
    } finally {
      await dead.close();
      await redis.quit();
    }
  });
});
