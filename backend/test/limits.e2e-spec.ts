import { request as httpRequest } from 'node:http';
import { deleteRedisKeys, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './helpers/redis.js';
import { baseUrl, closeSockets, connect, refusal } from './helpers/sockets.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, uniqueUsername } from './helpers/users.js';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { code?: string };
}

/** A JSON request from a given loopback address (the whole of 127.0.0.0/8 reaches the server), as another client would send it. */
function fromAddress(app: TestApp, localAddress: string, method: string, path: string, body?: object, token?: string): Promise<Answer> {
  const url = new URL(path, baseUrl(app));
  const payload = body ? JSON.stringify(body) : undefined;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        localAddress,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(token ? bearer(token) : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const login = (app: TestApp, address: string, username: string, password: string) => fromAddress(app, address, 'POST', '/api/auth/login', { username, password });

// Two instances share one PostgreSQL database and one Redis: every limit must hold for both together.
const describeLimits = testServerUrl() && (await redisAvailable()) ? describe : describe.skip;

describeLimits('limits across two instances on one Redis (e2e; needs PostgreSQL via TEST_DATABASE_URL and Redis, skipped without them)', () => {
  const prefix = uniqueRedisPrefix();
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      AUTH_RATE_LIMIT_PER_MINUTE: '10',
      LOGIN_FAILURES_PER_ACCOUNT: '6',
      SEARCH_RATE_LIMIT_PER_MINUTE: '5',
      FRIEND_REQUEST_RATE_LIMIT_PER_HOUR: '3',
      SOCKETS_PER_USER: '3',
      SOCKET_CONNECTS_PER_MINUTE: '5',
    };
    a = await createTestApp(env);
    b = await createTestApp(env, { sameDatabaseAs: a });
  });
  // Each test starts in fresh windows: registering its users (127.0.0.1, the auth bucket) must not trip anything.
  beforeEach(() => a.clock.advance(3_600_000));
  afterEach(() => closeSockets());
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await deleteRedisKeys(prefix);
  });

  it('trips the per-address sign-in limit after 10 attempts spread over both instances, not 20', async () => {
    const answers: Answer[] = [];
    for (let attempt = 0; attempt < 10; attempt++) answers.push(await login(attempt % 2 ? b : a, '127.0.0.4', uniqueUsername(), 'wrong password'));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(401));

    const limited = await login(b, '127.0.0.4', uniqueUsername(), 'wrong password');
    expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await login(a, '127.0.0.4', uniqueUsername(), 'wrong password')).status).toBe(429);
    // Another address is not held back.
    expect((await login(a, '127.0.0.5', uniqueUsername(), 'wrong password')).status).toBe(401);
  });

  it('trips the per-account limit on failures from two addresses, even for the right password, and lets the owner in after the window', async () => {
    const user = await register(a.http);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await login(a, '127.0.0.2', user.username, 'wrong password')).status).toBe(401);
      expect((await login(b, '127.0.0.3', user.username, 'wrong password')).status).toBe(401);
    }

    const locked = await login(a, '127.0.0.6', user.username.toUpperCase(), PASSWORD);
    expect(locked).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    expect(locked.retryAfter).toBe('60');
    expect((await login(b, '127.0.0.7', user.username, PASSWORD)).status).toBe(429);
    // Other accounts from the same addresses are not affected.
    const other = await register(a.http);
    expect((await login(a, '127.0.0.2', other.username, PASSWORD)).status).toBe(200);

    a.clock.advance(60_000);
    expect((await login(b, '127.0.0.2', user.username, PASSWORD)).status).toBe(200);
  });

  it('checks at most 6 of 20 wrong passwords for one account sent at once to both instances from 20 addresses; the rest get 429', async () => {
    const user = await register(a.http);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(i % 2 ? b : a, `127.0.1.${i + 1}`, user.username, 'wrong password')));

    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array(6).fill(401), ...Array(14).fill(429)]);
    expect((await login(b, '127.0.1.50', user.username, PASSWORD)).status).toBe(429);
  });

  it('a locked username unlocks after a window twice as long the next time, never for good', async () => {
    const user = await register(a.http);
    for (let attempt = 0; attempt < 6; attempt++) await login(attempt % 2 ? a : b, '127.0.0.8', user.username, 'wrong password');
    expect((await login(a, '127.0.0.8', user.username, PASSWORD)).retryAfter).toBe('60');
    a.clock.advance(60_000);
    for (let attempt = 0; attempt < 6; attempt++) await login(attempt % 2 ? a : b, '127.0.0.8', user.username, 'wrong password');
    expect((await login(b, '127.0.0.8', user.username, PASSWORD)).retryAfter).toBe('120');
    a.clock.advance(120_000);
    expect((await login(b, '127.0.0.8', user.username, PASSWORD)).status).toBe(200);
  });

  it('limits user search per user across both instances, answering 429 with Retry-After', async () => {
    const user = await register(a.http);
    for (let call = 0; call < 5; call++) {
      await (call % 2 ? b : a).http.get('/api/users').query({ search: 'someone' }).set(bearer(user.accessToken)).expect(200);
    }
    const limited = await b.http.get('/api/users').query({ search: 'someone' }).set(bearer(user.accessToken)).expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another user searches on.
    await a.http.get('/api/users').query({ search: 'someone' }).set(bearer((await register(a.http)).accessToken)).expect(200);
    a.clock.advance(60_000);
    await a.http.get('/api/users').query({ search: 'someone' }).set(bearer(user.accessToken)).expect(200);
  });

  it('limits friend requests per user across both instances and creates nothing over the limit', async () => {
    const sender = await register(a.http);
    const targets = await Promise.all(Array.from({ length: 4 }, () => register(a.http)));
    for (const [index, target] of targets.slice(0, 3).entries()) {
      await (index % 2 ? b : a).http.post('/api/friends/requests').set(bearer(sender.accessToken)).send({ userId: target.id }).expect(201);
    }
    const limited = await b.http.post('/api/friends/requests').set(bearer(sender.accessToken)).send({ userId: targets[3].id }).expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBe(3600);
    expect(await a.db.query('SELECT 1 FROM friend_requests WHERE from_user_id = $1', [sender.id])).toHaveLength(3);
  });

  it('closes the oldest socket, on whichever instance, when a user opens one over the cap, telling it why', async () => {
    const user = await register(a.http);
    const options = { localAddress: '127.0.0.10' } as object;
    const oldest = await connect(a, user.accessToken, options);
    a.clock.advance(1);
    const second = await connect(b, user.accessToken, options);
    a.clock.advance(1);
    const third = await connect(a, user.accessToken, options);
    a.clock.advance(1);
    const newest = await connect(b, user.accessToken, options);

    expect(await oldest.waitFor('error')).toMatchObject({ code: 'TOO_MANY_SOCKETS' });
    await oldest.disconnected();
    for (const socket of [second, third, newest]) expect(socket.socket.connected).toBe(true);
  });

  it('refuses new sockets from an address that opens too many a minute, on both instances together', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => register(a.http)));
    const options = { localAddress: '127.0.0.11' } as object;
    for (const [index, user] of users.slice(0, 5).entries()) await connect(index % 2 ? b : a, user.accessToken, options);
    const refused = await refusal(b, { auth: { token: users[5].accessToken }, ...options });
    expect(refused.data?.code).toBe('RATE_LIMITED');
    a.clock.advance(60_000);
    await connect(a, users[5].accessToken, options);
  });
});
