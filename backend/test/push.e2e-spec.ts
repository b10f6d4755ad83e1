import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { befriend, openConversation } from './helpers/friends.js';
import { PushReceiver, verifyVapid } from './helpers/push-receiver.js';
import { deleteRedisKeys, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './helpers/redis.js';
import { closeSockets, connect } from './helpers/sockets.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';
import type { BrowserSubscription } from './helpers/push-receiver.js';
import { PushService } from '../src/push/push.service.js';
import type TestAgent from 'supertest/lib/agent.js';

/** Retries `check` until it passes: the server handles the push service's answer after the push arrived. */
async function eventually(check: () => Promise<void>, attempts = 100): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * Runs `act` and waits until the push decisions it caused are made: the push goes after the send's
 * answer, so a socket closed right after could otherwise be closed before the decision looked.
 */
async function pushDecided(app: TestApp, act: () => Promise<unknown>): Promise<void> {
  const spy = jest.spyOn(app.app.get(PushService), 'messageCreated');
  try {
    await act();
    await Promise.all(spy.mock.results.map((result) => result.value));
  } finally {
    spy.mockRestore();
  }
}

const pushEnv = (dataDir: string) => ({ DATA_DIR: dataDir, PUSH_ENDPOINT_HOSTS: '127.0.0.1', PUSH_ENDPOINT_ALLOW_HTTP: 'true' });

const send = (http: TestAgent, from: Registered, conversationId: string, body = 'the secret text') =>
  http.post(`/api/conversations/${conversationId}/messages`).set(bearer(from.accessToken)).send({ clientId: randomUUID(), body }).expect(201);

const subscribe = (http: TestAgent, user: Registered, subscription: BrowserSubscription) =>
  http.post('/api/push/subscriptions').set(bearer(user.accessToken)).send(subscription.toJSON()).expect((res) => expect([res.status, res.body]).toEqual([201, {}]));

describe('Web Push (e2e)', () => {
  let t: TestApp;
  let receiver: PushReceiver;
  let dataDir: string;
  let publicKey: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'iris-push-'));
    receiver = await PushReceiver.start();
    t = await createTestApp(pushEnv(dataDir));
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function pair(): Promise<{ alice: Registered; bob: Registered; conversationId: string; bobs: BrowserSubscription }> {
    const alice = await register(t.http);
    const bob = await register(t.http);
    await befriend(t.http, alice, bob);
    const conversationId = await openConversation(t.http, alice, bob);
    const bobs = receiver.subscription();
    await subscribe(t.http, bob, bobs);
    return { alice, bob, conversationId, bobs };
  }

  const rows = (endpoint: string) => t.db.query(`SELECT session_id, user_id FROM push_subscriptions WHERE endpoint = $1`, [endpoint]);

  it('generates the VAPID key pair once into the data directory and serves its public key', async () => {
    const user = await register(t.http);
    publicKey = (await t.http.get('/api/push/vapid-public-key').set(bearer(user.accessToken)).expect(200)).body.publicKey;
    expect(publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(JSON.parse(readFileSync(join(dataDir, 'vapid.json'), 'utf8')).publicKey).toBe(publicKey);
    const again = await createTestApp(pushEnv(dataDir));
    try {
      const other = await register(again.http);
      expect((await again.http.get('/api/push/vapid-public-key').set(bearer(other.accessToken)).expect(200)).body).toEqual({ publicKey });
    } finally {
      await again.close();
    }
    await t.http.get('/api/push/vapid-public-key').expect(401);
  });

  it('pushes a message to a user with no socket: VAPID-signed, aes128gcm, exactly { type, conversationId, unread }, with a Topic and a TTL of a day at most', async () => {
    const { alice, bob, conversationId, bobs } = await pair();
    await send(t.http, alice, conversationId);
    const [push] = await receiver.pushesTo(bobs.endpoint);

    const claims = verifyVapid(push.headers.authorization, publicKey);
    expect(claims.aud).toBe(receiver.origin);
    expect(claims.sub).toBe('mailto:admin@iris.invalid');
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    expect(claims.exp).toBeLessThanOrEqual(Date.now() / 1000 + 86_400);
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(push.headers.ttl)).toBeGreaterThan(0);
    expect(Number(push.headers.ttl)).toBeLessThanOrEqual(86_400);
    expect(push.headers.topic).toBe(conversationId.replaceAll('-', ''));
    expect(push.body.includes(Buffer.from('the secret text'))).toBe(false);
    expect(bobs.decrypt(push.body)).toEqual({ type: 'message', conversationId, unread: 1 });

    await send(t.http, alice, conversationId);
    const pushes = await receiver.pushesTo(bobs.endpoint, 2);
    expect(bobs.decrypt(pushes[1].body)).toEqual({ type: 'message', conversationId, unread: 2 });
    expect(bob.id).toBeDefined();
  });

  it('sends no push while the user has a socket open, nor to the sender', async () => {
    const { alice, bob, conversationId, bobs } = await pair();
    const alices = receiver.subscription();
    await subscribe(t.http, alice, alices);
    const aliceSocket = await connect(t, alice.accessToken);
    const bobSocket = await connect(t, bob.accessToken);
    await pushDecided(t, () => send(t.http, alice, conversationId));
    await bobSocket.waitFor('message.created');
    bobSocket.close();
    await aliceSocket.waitFor('presence', (p: { userId: string; online: boolean }) => p.userId === bob.id && !p.online);

    await send(t.http, alice, conversationId);
    const pushes = await receiver.pushesTo(bobs.endpoint);
    expect(pushes).toHaveLength(1);
    expect(bobs.decrypt(pushes[0].body)).toEqual({ type: 'message', conversationId, unread: 2 });
    expect(receiver.received.filter((push) => push.path === new URL(alices.endpoint).pathname)).toEqual([]);
  });

  it('sends no push for a muted conversation, whose messages still count as unread', async () => {
    const { alice, bob, conversationId, bobs } = await pair();
    const muted = await t.http.put(`/api/conversations/${conversationId}/mute`).set(bearer(bob.accessToken)).send({ muted: true }).expect(200);
    expect(muted.body).toMatchObject({ id: conversationId, muted: true });
    expect((await t.http.get(`/api/conversations/${conversationId}`).set(bearer(alice.accessToken)).expect(200)).body.muted).toBe(false);
    await pushDecided(t, () => send(t.http, alice, conversationId));
    expect((await t.http.get(`/api/conversations/${conversationId}`).set(bearer(bob.accessToken)).expect(200)).body).toMatchObject({ muted: true, unreadCount: 1 });

    await t.http.put(`/api/conversations/${conversationId}/mute`).set(bearer(bob.accessToken)).send({ muted: false }).expect(200);
    await send(t.http, alice, conversationId);
    const pushes = await receiver.pushesTo(bobs.endpoint);
    expect(pushes).toHaveLength(1);
    expect(bobs.decrypt(pushes[0].body)).toEqual({ type: 'message', conversationId, unread: 2 });
  });

  it('refuses to mute with a bad body or in a conversation the caller is not in, changing nothing', async () => {
    const { alice, conversationId } = await pair();
    const stranger = await register(t.http);
    for (const body of [{}, { muted: 'yes' }, { muted: null }, { muted: true, extra: 1 }]) {
      const res = await t.http.put(`/api/conversations/${conversationId}/mute`).set(bearer(alice.accessToken)).send(body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await t.http.put(`/api/conversations/${conversationId}/mute`).set(bearer(stranger.accessToken)).send({ muted: true }).expect(404)).body.code).toBe(
      'CONVERSATION_NOT_FOUND',
    );
    expect((await t.http.get(`/api/conversations/${conversationId}`).set(bearer(alice.accessToken)).expect(200)).body.muted).toBe(false);
  });

  it('deletes a subscription the push service answers 410 for, and one it answers 404 for', async () => {
    for (const status of [410, 404]) {
      const { alice, conversationId, bobs } = await pair();
      receiver.status = status;
      try {
        await send(t.http, alice, conversationId);
        await receiver.pushesTo(bobs.endpoint);
        await eventually(async () => expect(await rows(bobs.endpoint)).toEqual([]));
      } finally {
        receiver.status = 201;
      }
    }
  });

  it('refuses a subscription to a host or scheme it does not push to, or with keys no push can be encrypted to, storing nothing', async () => {
    const user = await register(t.http);
    const good = receiver.subscription().toJSON();
    const post = (body: unknown) => t.http.post('/api/push/subscriptions').set(bearer(user.accessToken)).send(body as object);
    for (const endpoint of ['https://evil.example/push', 'ftp://127.0.0.1/push', 'http://user:pw@127.0.0.1/push', 'not a url', 'http://127.0.0.1.evil.example/x']) {
      expect({ endpoint, code: (await post({ ...good, endpoint }).expect(400)).body.code }).toEqual({ endpoint, code: 'INVALID_PUSH_ENDPOINT' });
    }
    const offCurve = Buffer.alloc(65, 1);
    offCurve[0] = 4;
    expect((await post({ ...good, keys: { ...good.keys, p256dh: offCurve.toString('base64url') } }).expect(400)).body.code).toBe('INVALID_PUSH_KEYS');
    for (const body of [{}, { endpoint: good.endpoint }, { ...good, keys: { p256dh: good.keys.p256dh } }, { ...good, keys: { ...good.keys, auth: 'short' } }, { ...good, extra: true }]) {
      expect((await post(body).expect(400)).body.code).toBe('VALIDATION_FAILED');
    }
    expect(await t.db.query(`SELECT * FROM push_subscriptions WHERE user_id = $1`, [user.id])).toEqual([]);
    await t.http.post('/api/push/subscriptions').send(good).expect(401);
  });

  it('keeps one subscription per device, lets only its owner delete it, and moves an endpoint to whoever signs in on that browser', async () => {
    const alice = await register(t.http);
    const mallory = await register(t.http);
    const first = receiver.subscription();
    const second = receiver.subscription();
    await subscribe(t.http, alice, first);
    await subscribe(t.http, alice, second);
    expect(await t.db.query(`SELECT endpoint FROM push_subscriptions WHERE user_id = $1`, [alice.id])).toEqual([{ endpoint: second.endpoint }]);

    const del = (user: Registered, endpoint: string) => t.http.delete('/api/push/subscriptions').set(bearer(user.accessToken)).send({ endpoint });
    expect((await del(mallory, second.endpoint).expect(404)).body.code).toBe('PUSH_SUBSCRIPTION_NOT_FOUND');
    expect(await rows(second.endpoint)).toHaveLength(1);

    await subscribe(t.http, mallory, second);
    expect(await rows(second.endpoint)).toEqual([expect.objectContaining({ user_id: mallory.id })]);
    await del(mallory, second.endpoint).expect(204);
    expect(await rows(second.endpoint)).toEqual([]);
    expect((await del(mallory, second.endpoint).expect(404)).body.code).toBe('PUSH_SUBSCRIPTION_NOT_FOUND');
  });

  it('answers 201 to every one of several subscribes of one endpoint sent at once, and keeps one row', async () => {
    const alice = await register(t.http);
    const laptop = (await t.http.post('/api/auth/login').send({ username: alice.username, password: PASSWORD }).expect(200)).body;
    const browser = receiver.subscription();
    const post = (token: string) => t.http.post('/api/push/subscriptions').set(bearer(token)).send(browser.toJSON());

    const answers = await Promise.all([...Array(6).fill(alice.accessToken), ...Array(6).fill(laptop.accessToken)].map(post));

    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(201));
    expect(await rows(browser.endpoint)).toHaveLength(1);
  });

  it('deletes the subscription when its session ends: sign-out, and revoking a session', async () => {
    const { bobs, bob } = await pair();
    const laptop = (await t.http.post('/api/auth/login').send({ username: bob.username, password: PASSWORD }).expect(200)).body;
    const laptops = receiver.subscription();
    await t.http.post('/api/push/subscriptions').set(bearer(laptop.accessToken)).send(laptops.toJSON()).expect(201);

    // A password change ends every other session of the user.
    const renewed = (
      await t.http.put('/api/users/me/password').set(bearer(bob.accessToken)).send({ currentPassword: PASSWORD, newPassword: 'another horse battery' }).expect(200)
    ).body;
    expect(await rows(laptops.endpoint)).toEqual([]);
    expect(await rows(bobs.endpoint)).toHaveLength(1);

    await t.http.post('/api/auth/logout').set(bearer(renewed.accessToken)).send({ refreshToken: renewed.refreshToken }).expect(204);
    expect(await rows(bobs.endpoint)).toEqual([]);
    // A token of the ended session cannot bring it back.
    await t.http.post('/api/push/subscriptions').set(bearer(renewed.accessToken)).send(bobs.toJSON()).expect(401);
    expect(await rows(bobs.endpoint)).toEqual([]);
  });
});

// Two instances must share one database: an in-memory PGlite belongs to a single process.
const describeScaleOut = testServerUrl() && (await redisAvailable()) ? describe : describe.skip;

describeScaleOut('Web Push across two instances (e2e; needs PostgreSQL and Redis)', () => {
  const prefix = uniqueRedisPrefix();
  let a: TestApp;
  let b: TestApp;
  let receiver: PushReceiver;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'iris-push-'));
    receiver = await PushReceiver.start();
    const env = { ...pushEnv(dataDir), REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    a = await createTestApp(env);
    b = await createTestApp(env, { sameDatabaseAs: a });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await receiver?.close();
    await deleteRedisKeys(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends each push once, and none while the recipient has a socket on the other instance', async () => {
    const alice = await register(a.http);
    const bob = await register(b.http);
    await befriend(a.http, alice, bob);
    const conversationId = await openConversation(a.http, alice, bob);
    const bobs = receiver.subscription();
    await subscribe(b.http, bob, bobs);

    const bobSocket = await connect(b, bob.accessToken);
    const aliceSocket = await connect(a, alice.accessToken);
    await pushDecided(a, () => send(a.http, alice, conversationId));
    await bobSocket.waitFor('message.created');
    bobSocket.close();
    await aliceSocket.waitFor('presence', (p: { userId: string; online: boolean }) => p.userId === bob.id && !p.online);

    await send(a.http, alice, conversationId);
    await send(b.http, alice, conversationId);
    const pushes = await receiver.pushesTo(bobs.endpoint, 2);
    const payloads = pushes.map((push) => bobs.decrypt(push.body) as { unread: number });
    expect(payloads.map((p) => p.unread).sort()).toEqual([2, 3]);
    // A third would have come from the first message, or from an instance repeating one.
    await send(a.http, alice, conversationId);
    expect((await receiver.pushesTo(bobs.endpoint, 3)).map((push) => (bobs.decrypt(push.body) as { unread: number }).unread).sort()).toEqual([2, 3, 4]);
  });
});
