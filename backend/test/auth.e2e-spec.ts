import { createHmac } from 'node:crypto';
import { SessionLifecycleService } from '../src/auth/session-lifecycle.service.js';
import { SessionCleanupJob } from '../src/auth/session-cleanup.job.js';
import { bearer, PASSWORD, register, uniqueUsername } from './helpers/users.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './helpers/test-app.js';

// What a browser sends on a fetch() from the app's own page.
const BROWSER = { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty' };

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signHs256(payload: object, secret = TEST_JWT_SECRET): string {
  const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

describe('auth (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const me = (token: string) => t.http.get('/api/users/me').set(bearer(token));

  describe('register', () => {
    it('creates the account, signs it in and stores an argon2id hash', async () => {
      const username = uniqueUsername('New');
      const res = await t.http
        .post('/api/auth/register')
        .send({ username, password: PASSWORD, displayName: '  Ada L.  ' })
        .expect(201);
      expect(res.body).toMatchObject({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
        user: { username: username.toLowerCase(), displayName: 'Ada L.', statusMessage: '', role: 'user' },
      });
      expect(res.body.user).not.toHaveProperty('passwordHash');
      const [row] = await t.db.query('SELECT password_hash FROM users WHERE id = $1', [res.body.user.id]);
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await me(res.body.accessToken).expect(200);
    });

    it('refuses a username taken in another case, and creates nothing', async () => {
      const username = uniqueUsername('dup');
      await register(t.http, { username });
      const res = await t.http.post('/api/auth/register').send({ username: username.toUpperCase(), password: PASSWORD }).expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'USERNAME_TAKEN' });
      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM users WHERE username = $1', [username]);
      expect(count).toBe(1);
    });

    it.each([
      ['spaces', 'al ice'],
      ['a dash', 'al-ice'],
      ['too short', 'ab'],
      ['too long', 'a'.repeat(33)],
      ['non-ASCII letters', 'ålice'],
      ['a number instead of a string', 12345],
    ])('refuses a username with %s', async (_case, username) => {
      const res = await t.http.post('/api/auth/register').send({ username, password: PASSWORD }).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'username' })] });
    });

    it.each([
      ['short', 'short12'],
      ['too long', 'x'.repeat(129)],
    ])('refuses a %s password', async (_case, password) => {
      const res = await t.http.post('/api/auth/register').send({ username: uniqueUsername(), password }).expect(400);
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'password' })]);
    });

    it('accepts any characters in a password of 8 to 128', async () => {
      await register(t.http, { password: 'пароль 🔑 with spaces' });
      await register(t.http, { password: 'p'.repeat(128) });
    });

    it('refuses extra fields such as role (mass assignment)', async () => {
      const username = uniqueUsername();
      const res = await t.http.post('/api/auth/register').send({ username, password: PASSWORD, role: 'admin' }).expect(400);
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'role' })]);
      const rows = await t.db.query('SELECT 1 FROM users WHERE username = $1', [username]);
      expect(rows).toHaveLength(0);
    });
  });

  describe('login', () => {
    it('signs in with any case of the username', async () => {
      const user = await register(t.http);
      const res = await t.http.post('/api/auth/login').send({ username: user.username.toUpperCase(), password: PASSWORD }).expect(200);
      expect(res.body.user.id).toBe(user.id);
      await me(res.body.accessToken).expect(200);
    });

    it('gives the same answer for a wrong password and an unknown user', async () => {
      const user = await register(t.http);
      const wrong = await t.http.post('/api/auth/login').send({ username: user.username, password: 'wrong password' }).expect(401);
      const unknown = await t.http.post('/api/auth/login').send({ username: uniqueUsername(), password: PASSWORD }).expect(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
      const { requestId: _a, ...wrongBody } = wrong.body;
      const { requestId: _b, ...unknownBody } = unknown.body;
      expect(wrongBody).toEqual(unknownBody);
    });
  });

  describe('access tokens', () => {
    it('carries the user, the session and the token version', async () => {
      const user = await register(t.http);
      expect(decodePayload(user.accessToken)).toMatchObject({ sub: user.id, sid: expect.any(String), ver: 0, typ: 'access' });
    });

    it('expires after 15 minutes', async () => {
      const user = await register(t.http);
      t.clock.advance(899_000);
      await me(user.accessToken).expect(200);
      t.clock.advance(2_000);
      const res = await me(user.accessToken).expect(401);
      expect(res.body.code).toBe('TOKEN_EXPIRED');
    });

    it('refuses a token that is not valid yet', async () => {
      const user = await register(t.http);
      const now = Math.floor(t.clock.now().getTime() / 1000);
      const token = signHs256({ ...decodePayload(user.accessToken), nbf: now + 600, exp: now + 900 });
      expect((await me(token).expect(401)).body.code).toBe('INVALID_TOKEN');
    });

    it('refuses tampered, unsigned, foreign-key and malformed tokens', async () => {
      const user = await register(t.http);
      const [header, payload, signature] = user.accessToken.split('.');
      const forged = base64url({ ...decodePayload(user.accessToken), sub: '00000000-0000-4000-8000-000000000000' });
      const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      const candidates = [
        `${header}.${forged}.${signature}`,
        `${header}.${payload}.${flipped}`,
        `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        signHs256(decodePayload(user.accessToken), 'another-secret-another-secret-another-secret'),
        'not-a-jwt',
      ];
      for (const token of candidates) {
        const res = await me(token).expect(401);
        expect(res.body.code).toBe('INVALID_TOKEN');
      }
    });

    it('refuses a refresh token used as an access token, and a missing header', async () => {
      const user = await register(t.http);
      expect((await me(user.refreshToken).expect(401)).body.code).toBe('INVALID_TOKEN');
      expect((await t.http.get('/api/users/me').expect(401)).body.code).toBe('UNAUTHORIZED');
    });

    it('refuses a token of another type even when signed with our secret', async () => {
      const user = await register(t.http);
      const token = signHs256({ ...decodePayload(user.accessToken), typ: 'refresh' });
      expect((await me(token).expect(401)).body.code).toBe('INVALID_TOKEN');
    });
  });

  describe('refresh', () => {
    it('rotates the refresh token and issues a working access token', async () => {
      const user = await register(t.http);
      const res = await t.http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
      expect(res.body.refreshToken).not.toBe(user.refreshToken);
      expect(res.body.user.id).toBe(user.id);
      await me(res.body.accessToken).expect(200);
    });

    it('kills the whole session when a used refresh token is replayed', async () => {
      const user = await register(t.http);
      const first = await t.http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
      const replay = await t.http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
      expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');
      // The family's newer token and its access token are dead too.
      const newer = await t.http.post('/api/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(401);
      expect(newer.body.code).toBe('SESSION_REVOKED');
      expect((await me(first.body.accessToken).expect(401)).body.code).toBe('SESSION_REVOKED');
    });

    it('lets only one of two parallel refreshes of one token win', async () => {
      const user = await register(t.http);
      const results = await Promise.all(
        [1, 2].map(() => t.http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
      // The loser replayed a used token, so the winner's new token dies with the session.
      const winner = results.find((r) => r.status === 200)!;
      await t.http.post('/api/auth/refresh').send({ refreshToken: winner.body.refreshToken }).expect(401);
      const [{ live }] = await t.db.query(
        `SELECT count(*)::int AS live FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`,
        [user.id],
      );
      expect(live).toBe(0);
    });

    it('refuses unknown, missing and malformed refresh tokens', async () => {
      expect((await t.http.post('/api/auth/refresh').send({ refreshToken: 'nope' }).expect(401)).body.code).toBe('INVALID_REFRESH_TOKEN');
      expect((await t.http.post('/api/auth/refresh').send({}).expect(401)).body.code).toBe('REFRESH_TOKEN_MISSING');
      expect((await t.http.post('/api/auth/refresh').send({ refreshToken: 42 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    });

    it('ends a session 30 days after sign-in however often it is refreshed', async () => {
      const user = await register(t.http);
      let token = user.refreshToken;
      for (let week = 1; week <= 4; week++) {
        t.clock.advance(7 * 86_400_000);
        const res = await t.http.post('/api/auth/refresh').send({ refreshToken: token }).expect(200);
        token = res.body.refreshToken;
      }
      t.clock.advance(2 * 86_400_000);
      const res = await t.http.post('/api/auth/refresh').send({ refreshToken: token }).expect(401);
      expect(res.body.code).toBe('SESSION_EXPIRED');
    });
  });

  describe('browser cookie', () => {
    it('sends the refresh token only as an httpOnly SameSite=Strict cookie to browsers, and accepts it back', async () => {
      const username = uniqueUsername();
      const res = await t.http
        .post('/api/auth/register')
        .set(BROWSER)
        .send({ username, password: PASSWORD })
        .expect(201);
      expect(res.body.refreshToken).toBeNull();
      const cookie = [res.headers['set-cookie']].flat().find((c: string) => c.startsWith('iris_refresh='))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).toMatch(/Path=\/api\/auth/);
      const pair = cookie.split(';')[0];

      const refreshed = await t.http.post('/api/auth/refresh').set(BROWSER).set('Cookie', pair).send({}).expect(200);
      expect(refreshed.body.refreshToken).toBeNull();
      await me(refreshed.body.accessToken).expect(200);
      // The cookie's token was rotated: sending it again is a replay.
      await t.http.post('/api/auth/refresh').set('Cookie', pair).send({}).expect(401);
    });
  });

  describe('non-browser clients', () => {
    it("get the refresh token in the body from Node's fetch, which sends Sec-Fetch-Mode but no Sec-Fetch-Site", async () => {
      const res = await fetch(`${await t.app.getUrl()}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: uniqueUsername(), password: PASSWORD }),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { refreshToken: string | null };
      expect(body.refreshToken).toEqual(expect.any(String));
      await t.http.post('/api/auth/refresh').send({ refreshToken: body.refreshToken }).expect(200);
    });
  });

  describe('logout', () => {
    it('ends only this session and clears the cookie', async () => {
      const user = await register(t.http);
      const other = await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200);
      const res = await t.http.post('/api/auth/logout').send({ refreshToken: user.refreshToken }).expect(204);
      expect([res.headers['set-cookie']].flat().join()).toMatch(/iris_refresh=;/);
      expect((await me(user.accessToken).expect(401)).body.code).toBe('SESSION_REVOKED');
      await t.http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
      await me(other.body.accessToken).expect(200);
    });

    it('works with the access token alone', async () => {
      const user = await register(t.http);
      await t.http.post('/api/auth/logout').set(bearer(user.accessToken)).send({}).expect(204);
      await me(user.accessToken).expect(401);
      await t.http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    });

    it('needs one of the two tokens', async () => {
      expect((await t.http.post('/api/auth/logout').send({}).expect(401)).body.code).toBe('REFRESH_TOKEN_MISSING');
    });
  });

  describe('password change', () => {
    it('needs the current password and ends every other session', async () => {
      const user = await register(t.http);
      const other = await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200);

      const wrong = await t.http
        .put('/api/users/me/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: 'not it at all', newPassword: 'a brand new secret' })
        .expect(403);
      expect(wrong.body.code).toBe('WRONG_PASSWORD');
      await me(other.body.accessToken).expect(200);

      const res = await t.http
        .put('/api/users/me/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: PASSWORD, newPassword: 'a brand new secret' })
        .expect(200);
      expect(decodePayload(res.body.accessToken).ver).toBe(1);
      await me(res.body.accessToken).expect(200);
      await me(user.accessToken).expect(401);
      await me(other.body.accessToken).expect(401);
      await t.http.post('/api/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(401);
      await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(401);
      await t.http.post('/api/auth/login').send({ username: user.username, password: 'a brand new secret' }).expect(200);
    });

    it('refuses a short new password and changes nothing', async () => {
      const user = await register(t.http);
      const res = await t.http
        .put('/api/users/me/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: PASSWORD, newPassword: 'short' })
        .expect(400);
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'newPassword' })]);
      await me(user.accessToken).expect(200);
      await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200);
    });
  });
});

describe('session clean-up (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const count = async (table: string, userId: string) => {
    const [{ n }] = await t.db.query(
      table === 'sessions'
        ? `SELECT count(*)::int AS n FROM sessions WHERE user_id = $1`
        : `SELECT count(*)::int AS n FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE s.user_id = $1`,
      [userId],
    );
    return n as number;
  };

  it('deletes ended sessions and week-old rotated tokens, and keeps live sessions working', async () => {
    const sut = t.app.get(SessionLifecycleService);
    const live = await register(t.http);
    const loggedOut = await register(t.http);
    await t.http.post('/api/auth/logout').send({ refreshToken: loggedOut.refreshToken }).expect(204);
    const rotated = await t.http.post('/api/auth/refresh').send({ refreshToken: live.refreshToken }).expect(200);

    await sut.deleteEndedSessions();
    expect(await count('sessions', loggedOut.id)).toBe(0);
    expect(await count('refresh_tokens', live.id)).toBe(2);

    t.clock.advance(8 * 86_400_000);
    await sut.deleteEndedSessions();
    expect(await count('refresh_tokens', live.id)).toBe(1);
    await t.http.post('/api/auth/refresh').send({ refreshToken: rotated.body.refreshToken }).expect(200);
    // A replay of a token rotated long ago is still refused.
    await t.http.post('/api/auth/refresh').send({ refreshToken: live.refreshToken }).expect(401);

    t.clock.advance(30 * 86_400_000);
    await sut.deleteEndedSessions();
    expect(await count('sessions', live.id)).toBe(0);
  });
});

describe('session clean-up job (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('records its run for the admin jobs page', async () => {
    const user = await register(t.http);
    await t.http.post('/api/auth/logout').send({ refreshToken: user.refreshToken }).expect(204);
    await t.app.get(SessionCleanupJob).run();
    const runs = await t.db.query(`SELECT rows_affected, error, finished_at FROM job_runs WHERE job = 'session-cleanup'`);
    expect(runs).toEqual([{ rows_affected: 1, error: null, finished_at: expect.any(Date) }]);
  });
});
