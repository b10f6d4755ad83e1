import { E2eeTestDevice } from './helpers/e2ee-device.js';
import { deleteRedisKeys, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './helpers/redis.js';
import { closeSockets, connect, refusal } from './helpers/sockets.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register } from './helpers/users.js';

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

interface SessionItem {
  id: string;
  current: boolean;
  deviceName: string;
  ip: string | null;
  createdAt: string;
  lastActiveAt: string;
  e2ee: { deviceId: string; verified: boolean } | null;
}

// Two instances share one PostgreSQL database and one Redis, as a scaled-out deployment does.
const withRedis = testServerUrl() && (await redisAvailable());
const describeSessions = withRedis ? describe : describe.skip;

describeSessions('sessions and devices (e2e; two instances on PostgreSQL and Redis, skipped without them)', () => {
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

  async function signIn(app: TestApp, username: string, userAgent: string) {
    const res = await app.http.post('/api/auth/login').set('User-Agent', userAgent).send({ username, password: PASSWORD }).expect(200);
    return { accessToken: res.body.accessToken as string, refreshToken: res.body.refreshToken as string };
  }

  const list = async (app: TestApp, token: string) => (await app.http.get('/api/sessions').set(bearer(token)).expect(200)).body.items as SessionItem[];

  it('lists two sign-ins with device names, address and activity, the caller marked current', async () => {
    const user = await register(a.http);
    const laptop = await signIn(a, user.username, FIREFOX_LINUX);
    const phone = await signIn(b, user.username, SAFARI_IPHONE);

    const items = await list(a, laptop.accessToken);
    const byName = Object.fromEntries(items.map((item) => [item.deviceName, item]));
    expect(items).toHaveLength(3);
    expect(byName['Firefox on Linux']).toMatchObject({ current: true, ip: '127.0.0.1', e2ee: null });
    expect(byName['Safari on iOS']).toMatchObject({ current: false, ip: '127.0.0.1', e2ee: null });
    expect(byName['Safari on iOS'].lastActiveAt).toBe(byName['Safari on iOS'].createdAt);
    expect((await list(b, phone.accessToken)).find((item) => item.current)?.deviceName).toBe('Safari on iOS');
  });

  it('moves lastActiveAt on a token refresh, not on every request', async () => {
    const user = await register(a.http);
    const laptop = await signIn(a, user.username, FIREFOX_LINUX);
    const [before] = (await list(a, laptop.accessToken)).filter((item) => item.current);
    a.clock.advance(60_000);
    await a.http.get('/api/users/me').set(bearer(laptop.accessToken)).expect(200);
    expect((await list(a, laptop.accessToken)).find((item) => item.current)?.lastActiveAt).toBe(before.lastActiveAt);
    const refreshed = await a.http.post('/api/auth/refresh').send({ refreshToken: laptop.refreshToken }).expect(200);
    const [after] = (await list(a, refreshed.body.accessToken)).filter((item) => item.current);
    expect(new Date(after.lastActiveAt).getTime()).toBe(new Date(before.lastActiveAt).getTime() + 60_000);
  });

  it('revoking a session stops its access token, refresh token and socket at once, on the other instance too', async () => {
    const user = await register(a.http);
    const laptop = await signIn(a, user.username, FIREFOX_LINUX);
    const phone = await signIn(b, user.username, SAFARI_IPHONE);
    const phoneSocket = await connect(b, phone.accessToken);
    const laptopSocket = await connect(a, laptop.accessToken);
    const phoneId = (await list(a, laptop.accessToken)).find((item) => item.deviceName === 'Safari on iOS')!.id;

    await a.http.delete(`/api/sessions/${phoneId}`).set(bearer(laptop.accessToken)).expect(204);

    expect(await phoneSocket.waitFor('error')).toMatchObject({ code: 'SESSION_REVOKED' });
    await phoneSocket.disconnected();
    const denied = await b.http.get('/api/users/me').set(bearer(phone.accessToken)).expect(401);
    expect(denied.body.code).toBe('SESSION_REVOKED');
    expect((await b.http.post('/api/auth/refresh').send({ refreshToken: phone.refreshToken }).expect(401)).body.code).toBe('SESSION_REVOKED');
    expect((await refusal(b, { auth: { token: phone.accessToken } })).data?.code).toBe('SESSION_REVOKED');
    expect((await list(a, laptop.accessToken)).map((item) => item.id)).not.toContain(phoneId);
    // The session that asked goes on.
    expect(laptopSocket.socket.connected).toBe(true);
    expect(laptopSocket.of('error')).toEqual([]);
    await a.http.get('/api/users/me').set(bearer(laptop.accessToken)).expect(200);
  });

  it('revoking a session deletes its end-to-end encryption device and tells the other devices', async () => {
    const user = await register(a.http);
    const laptop = await signIn(a, user.username, FIREFOX_LINUX);
    const phone = await signIn(b, user.username, SAFARI_IPHONE);
    const laptopDevice = await E2eeTestDevice.create(a, laptop.accessToken);
    await E2eeTestDevice.create(b, phone.accessToken);
    const phoneItem = (await list(a, laptop.accessToken)).find((item) => item.deviceName === 'Safari on iOS')!;
    expect(phoneItem.e2ee).toEqual({ deviceId: phoneItem.id, verified: false });

    await a.http.delete(`/api/sessions/${phoneItem.id}`).set(bearer(laptop.accessToken)).expect(204);

    expect(await a.db.query('SELECT 1 FROM e2ee_devices WHERE session_id = $1', [phoneItem.id])).toHaveLength(0);
    const query = await a.http
      .post('/api/e2ee/keys/query')
      .set(bearer(laptop.accessToken))
      .send({ device_keys: { [laptopDevice.userId]: [] } })
      .expect(200);
    expect(Object.keys(query.body.device_keys[laptopDevice.userId])).toEqual([laptopDevice.deviceId]);
    await laptopDevice.sync();
    expect(laptopDevice.changedUsers()).toContain(laptopDevice.userId);
  });

  it('refuses to revoke another user’s session, an unknown one and a malformed id, and changes nothing', async () => {
    const alice = await register(a.http);
    const mallory = await register(a.http);
    const [aliceSession] = await list(a, alice.accessToken);
    const foreign = await a.http.delete(`/api/sessions/${aliceSession.id}`).set(bearer(mallory.accessToken)).expect(404);
    expect(foreign.body.code).toBe('SESSION_NOT_FOUND');
    expect((await a.http.delete('/api/sessions/00000000-0000-4000-8000-000000000000').set(bearer(mallory.accessToken)).expect(404)).body.code).toBe(
      'SESSION_NOT_FOUND',
    );
    expect((await a.http.delete('/api/sessions/not-a-uuid').set(bearer(mallory.accessToken)).expect(400)).body.code).toBe('INVALID_ID');
    await a.http.get('/api/users/me').set(bearer(alice.accessToken)).expect(200);
    await a.http.get('/api/sessions').expect(401);
  });

  it('revoking an already revoked session answers 404', async () => {
    const user = await register(a.http);
    const other = await signIn(a, user.username, SAFARI_IPHONE);
    const [otherId] = (await list(a, other.accessToken)).filter((item) => item.current).map((item) => item.id);
    await a.http.delete(`/api/sessions/${otherId}`).set(bearer(user.accessToken)).expect(204);
    expect((await a.http.delete(`/api/sessions/${otherId}`).set(bearer(user.accessToken)).expect(404)).body.code).toBe('SESSION_NOT_FOUND');
  });

  it('signs out everywhere else: every other session stops, the caller’s goes on', async () => {
    const user = await register(a.http);
    const phone = await signIn(b, user.username, SAFARI_IPHONE);
    const laptop = await signIn(a, user.username, FIREFOX_LINUX);
    const phoneSocket = await connect(b, phone.accessToken);
    const firstSocket = await connect(a, user.accessToken);
    const laptopSocket = await connect(a, laptop.accessToken);

    const res = await a.http.post('/api/sessions/revoke-others').set(bearer(laptop.accessToken)).expect(200);

    expect(res.body).toEqual({ revoked: 2 });
    expect(await phoneSocket.waitFor('error')).toMatchObject({ code: 'SESSION_REVOKED' });
    expect(await firstSocket.waitFor('error')).toMatchObject({ code: 'SESSION_REVOKED' });
    await b.http.get('/api/users/me').set(bearer(phone.accessToken)).expect(401);
    await a.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
    const items = await list(a, laptop.accessToken);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ current: true, deviceName: 'Firefox on Linux' });
    expect(laptopSocket.socket.connected).toBe(true);
    expect((await a.http.post('/api/sessions/revoke-others').set(bearer(laptop.accessToken)).expect(200)).body).toEqual({ revoked: 0 });
  });

  it('announces a new sign-in to the user’s other sessions, on every instance, and to nobody else', async () => {
    const user = await register(a.http);
    const stranger = await register(a.http);
    const existing = await connect(b, user.accessToken);
    const strangerSocket = await connect(b, stranger.accessToken);

    await signIn(a, user.username, SAFARI_IPHONE);

    expect(await existing.waitFor('session.created')).toEqual({ id: expect.any(String), deviceName: 'Safari on iOS', ip: '127.0.0.1', createdAt: expect.any(String) });
    await a.http.post('/api/auth/login').send({ username: stranger.username, password: 'wrong password' }).expect(401);
    expect(strangerSocket.of('session.created')).toEqual([]);
  });
});
