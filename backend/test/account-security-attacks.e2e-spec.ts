import { Secret, TOTP } from 'otpauth';
import pg from 'pg';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

/** What an attacker tries against sign-in and two-factor authentication, and what must hold. */
describe('account security under attack (e2e)', () => {
  const LIMIT = 5;
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ LOGIN_FAILURES_PER_ACCOUNT: String(LIMIT) });
  });
  afterAll(() => t.close());
  // Every test starts with the per-account windows of earlier ones long gone.
  beforeEach(() => t.clock.advance(24 * 3_600_000));

  const codeAt = (secret: string, steps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: t.clock.now().getTime() + steps * 30_000 });
  const wrongCode = (secret: string) => (codeAt(secret) === '000000' ? '111111' : '000000');

  async function withTotp(user?: Registered): Promise<{ user: Registered; secret: string; recoveryCodes: string[] }> {
    user ??= await register(t.http);
    const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(200);
    const enabled = await t.http
      .post('/api/auth/2fa/totp/enable')
      .set(bearer(user.accessToken))
      .send({ code: codeAt(setup.body.secret), password: PASSWORD })
      .expect(200);
    t.clock.advance(30_000);
    return { user, secret: setup.body.secret, recoveryCodes: enabled.body.recoveryCodes };
  }

  const login = (username: string, password = PASSWORD) => t.http.post('/api/auth/login').send({ username, password });
  const mfaToken = async (username: string): Promise<string> => (await login(username).expect(200)).body.mfaToken;
  const second = (body: object) => t.http.post('/api/auth/login/mfa').send(body);
  const statuses = (answers: { status: number }[]) => answers.map((answer) => answer.status).sort();

  describe('S2: guesses sent at once are counted before they are checked', () => {
    it('verifies at most the limit of 20 wrong passwords sent together; the rest get 429', async () => {
      const user = await register(t.http);
      const answers = await Promise.all(Array.from({ length: 20 }, () => login(user.username, 'wrong password')));

      expect(statuses(answers)).toEqual([...Array(LIMIT).fill(401), ...Array(20 - LIMIT).fill(429)]);
      for (const answer of answers.filter((a) => a.status === 429)) expect(answer.body.code).toBe('RATE_LIMITED');
      // Locked now, the right password included.
      expect((await login(user.username).expect(429)).headers['retry-after']).toBe('60');
    });

    it('verifies at most the limit of 20 wrong codes sent together over four mfaTokens', async () => {
      const { user, secret } = await withTotp();
      const tokens = [await mfaToken(user.username), await mfaToken(user.username), await mfaToken(user.username), await mfaToken(user.username)];
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => second({ mfaToken: tokens[i % 4], code: wrongCode(secret) })));

      expect(statuses(answers)).toEqual([...Array(LIMIT).fill(401), ...Array(20 - LIMIT).fill(429)]);
      expect((await second({ mfaToken: await mfaToken(user.username), code: codeAt(secret) }).expect(429)).body.code).toBe('RATE_LIMITED');
    });

    it('still lets the owner in with one right password after a few wrong ones, and forgets them', async () => {
      const user = await register(t.http);
      for (let i = 0; i < LIMIT - 1; i++) await login(user.username, 'wrong password').expect(401);
      await login(user.username).expect(200);
      for (let i = 0; i < LIMIT - 1; i++) await login(user.username, 'wrong password').expect(401);
      await login(user.username).expect(200);
    });
  });

  describe('S4: turning 2FA off counts its wrong passwords and codes per account', () => {
    it('locks the account’s second step after the limit of wrong codes, even with the right password', async () => {
      const { user, secret } = await withTotp();
      const off = (body: object) => t.http.delete('/api/auth/2fa/totp').set(bearer(user.accessToken)).send(body);
      for (let i = 0; i < LIMIT; i++) expect((await off({ password: PASSWORD, code: wrongCode(secret) }).expect(400)).body.code).toBe('INVALID_TOTP_CODE');

      expect((await off({ password: PASSWORD, code: codeAt(secret) }).expect(429)).body.code).toBe('RATE_LIMITED');
      // The same count as the sign-in's second step: no fresh guesses there either.
      expect((await second({ mfaToken: await mfaToken(user.username), code: codeAt(secret) }).expect(429)).body.code).toBe('RATE_LIMITED');
      expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body.totpEnabled).toBe(true);
    });

    it('counts wrong passwords with the sign-in’s: a stolen session cannot guess the password there', async () => {
      const { user, secret } = await withTotp();
      const off = (body: object) => t.http.delete('/api/auth/2fa/totp').set(bearer(user.accessToken)).send(body);
      const answers = await Promise.all(Array.from({ length: 12 }, () => off({ password: 'wrong password', code: codeAt(secret) })));

      expect(statuses(answers)).toEqual([...Array(LIMIT).fill(403), ...Array(12 - LIMIT).fill(429)]);
      expect((await login(user.username).expect(429)).body.code).toBe('RATE_LIMITED');
    });

    it('counts wrong current passwords of a password change the same way', async () => {
      const user = await register(t.http);
      const change = (currentPassword: string) =>
        t.http.put('/api/users/me/password').set(bearer(user.accessToken)).send({ currentPassword, newPassword: 'another good password' });
      const answers = await Promise.all(Array.from({ length: 10 }, () => change('wrong password')));

      expect(statuses(answers)).toEqual([...Array(LIMIT).fill(403), ...Array(10 - LIMIT).fill(429)]);
      await change(PASSWORD).expect(429);
    });
  });

  describe('S5: turning 2FA on needs the password; admin routes need a session that passed it', () => {
    it('refuses to turn TOTP on without the password or with a wrong one, and changes nothing', async () => {
      const user = await register(t.http);
      const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(200);
      const enable = (body: object) => t.http.post('/api/auth/2fa/totp/enable').set(bearer(user.accessToken)).send(body);

      expect((await enable({ code: codeAt(setup.body.secret) }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect((await enable({ code: codeAt(setup.body.secret), password: 'wrong password' }).expect(403)).body.code).toBe('WRONG_PASSWORD');

      expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body.totpEnabled).toBe(false);
      expect((await login(user.username).expect(200)).body.accessToken).toEqual(expect.any(String));
    });
  });

  describe('M4: two setups and an enable', () => {
    it('takes only the newest setup’s code once a second setup has started', async () => {
      const user = await register(t.http);
      const first = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(200);
      const next = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(200);
      const enable = (secret: string) => t.http.post('/api/auth/2fa/totp/enable').set(bearer(user.accessToken)).send({ code: codeAt(secret), password: PASSWORD });

      expect((await enable(first.body.secret).expect(400)).body.code).toBe('INVALID_TOTP_CODE');
      await enable(next.body.secret).expect(200);
    });
  });

  describe('M5: a recovery code is spent only by a second step that signs in', () => {
    it('keeps the code (and the mfaToken) when starting the session fails', async () => {
      const { user, recoveryCodes } = await withTotp();
      const token = await mfaToken(user.username);
      // A fault after the code was checked: the new session cannot be stored.
      await t.db.query(`CREATE FUNCTION refuse_session() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`);
      await t.db.query(`CREATE TRIGGER refuse_session BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_session()`);
      try {
        await second({ mfaToken: token, recoveryCode: recoveryCodes[0] }).expect(500);
      } finally {
        await t.db.query(`DROP TRIGGER refuse_session ON sessions`);
        await t.db.query(`DROP FUNCTION refuse_session()`);
      }
      expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body.recoveryCodesLeft).toBe(10);

      await second({ mfaToken: token, recoveryCode: recoveryCodes[0] }).expect(200);
      expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body.recoveryCodesLeft).toBe(9);
    });

    it('spends no code for a wrong password when turning 2FA off', async () => {
      const { user, recoveryCodes } = await withTotp();
      await t.http.delete('/api/auth/2fa/totp').set(bearer(user.accessToken)).send({ password: 'wrong password', code: recoveryCodes[0] }).expect(403);
      expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body.recoveryCodesLeft).toBe(10);
      await second({ mfaToken: await mfaToken(user.username), recoveryCode: recoveryCodes[0] }).expect(200);
    });
  });

  describe('M8: pending second steps end with the password, the second factor or a revoked session', () => {
    it('drops a waiting mfaToken when the password changes', async () => {
      const { user, secret } = await withTotp();
      const token = await mfaToken(user.username);
      await t.http.put('/api/users/me/password').set(bearer(user.accessToken)).send({ currentPassword: PASSWORD, newPassword: 'another good password' }).expect(200);
      expect((await second({ mfaToken: token, code: codeAt(secret) }).expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
    });

    it('drops a waiting mfaToken when sessions are revoked', async () => {
      const { user, secret } = await withTotp();
      const token = await mfaToken(user.username);
      await t.http.post('/api/sessions/revoke-others').set(bearer(user.accessToken)).expect(200);
      // revoke-others ended nothing (the user has one session), so the waiting sign-in stays ...
      await second({ mfaToken: token, code: codeAt(secret) }).expect(200);

      t.clock.advance(30_000);
      const waiting = await mfaToken(user.username);
      const sessions = (await t.http.get('/api/sessions').set(bearer(user.accessToken)).expect(200)).body.items as { id: string; current: boolean }[];
      await t.http.delete(`/api/sessions/${sessions.find((s) => !s.current)!.id}`).set(bearer(user.accessToken)).expect(204);
      // ... and the revocation of one ends it.
      expect((await second({ mfaToken: waiting, code: codeAt(secret) }).expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
    });

    it('drops a waiting mfaToken when 2FA is turned off', async () => {
      const { user, secret } = await withTotp();
      const token = await mfaToken(user.username);
      await t.http.delete('/api/auth/2fa/totp').set(bearer(user.accessToken)).send({ password: PASSWORD, code: codeAt(secret) }).expect(204);
      expect((await second({ mfaToken: token, code: codeAt(secret, 1) }).expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
    });
  });
});

describe('REQUIRE_ADMIN_2FA per session (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REQUIRE_ADMIN_2FA: 'true', ADMIN_USERNAME: 'root_session_2fa', ADMIN_PASSWORD: PASSWORD });
  });
  afterAll(() => t.close());

  const codeAt = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() });
  const signIn = () => t.http.post('/api/auth/login').send({ username: 'root_session_2fa', password: PASSWORD }).expect(200);
  const admin = (token: string) => t.http.get('/api/admin/users').set(bearer(token));

  it('lets only sessions that proved the second factor use the admin routes', async () => {
    const older = (await signIn()).body.accessToken as string;
    const enabling = (await signIn()).body.accessToken as string;
    const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(enabling)).expect(200);
    await t.http.post('/api/auth/2fa/totp/enable').set(bearer(enabling)).send({ code: codeAt(setup.body.secret), password: PASSWORD }).expect(200);

    // The session that turned it on proved both factors; one signed in before with the password alone did not.
    await admin(enabling).expect(200);
    expect((await admin(older).expect(403)).body.code).toBe('ADMIN_2FA_REQUIRED');

    t.clock.advance(30_000);
    const first = await signIn();
    expect(first.body.mfaRequired).toBe(true);
    const twoStep = (await t.http.post('/api/auth/login/mfa').send({ mfaToken: first.body.mfaToken, code: codeAt(setup.body.secret) }).expect(200)).body.accessToken;
    await admin(twoStep).expect(200);
    // Two sessions proved it: the one that turned it on and the two-step sign-in.
    expect((await t.db.query(`SELECT count(*)::int AS n FROM sessions WHERE mfa_at IS NOT NULL`))[0].n).toBe(2);

    // Off and on again: the sessions that proved the old authenticator prove nothing any more.
    t.clock.advance(30_000);
    await t.http.delete('/api/auth/2fa/totp').set(bearer(twoStep)).send({ password: PASSWORD, code: codeAt(setup.body.secret) }).expect(204);
    expect((await admin(enabling).expect(403)).body.code).toBe('ADMIN_2FA_REQUIRED');
    const again = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(older)).expect(200);
    await t.http.post('/api/auth/2fa/totp/enable').set(bearer(older)).send({ code: codeAt(again.body.secret), password: PASSWORD }).expect(200);
    await admin(older).expect(200);
    expect((await admin(enabling).expect(403)).body.code).toBe('ADMIN_2FA_REQUIRED');
    expect((await admin(twoStep).expect(403)).body.code).toBe('ADMIN_2FA_REQUIRED');
  });
});

// Needs a second connection holding a row lock while the server works: real PostgreSQL only.
const describeOnPostgres = testServerUrl() ? describe : describe.skip;

describeOnPostgres('M4: a setup restarted while enable checks the code (e2e; PostgreSQL only)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const codeAt = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() });

  it('never turns on a secret other than the one the code was checked against', async () => {
    const user = await register(t.http);
    const first = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(200);
    const other = new Secret({ size: 20 }).base32;
    // Another tab restarts the setup; its write is not committed yet while enable reads and checks.
    const tab = new pg.Client({ connectionString: t.databaseUrl });
    await tab.connect();
    try {
      await tab.query('BEGIN');
      await tab.query(`UPDATE user_totp SET secret = $2 WHERE user_id = $1`, [user.id, other]);
      const enabling = t.http.post('/api/auth/2fa/totp/enable').set(bearer(user.accessToken)).send({ code: codeAt(first.body.secret), password: PASSWORD }).then((res) => res);
      // Wait until enable has checked the code and waits for the row.
      for (let waited = 0; ; waited += 20) {
        const [row] = (await t.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE user_totp%'`)) as { n: number }[];
        if (row.n > 0) break;
        if (waited > 10_000) throw new Error('enable never reached its update');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await tab.query('COMMIT');

      const answer = await enabling;
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('TOTP_SETUP_CHANGED');
    } finally {
      await tab.end();
    }
    expect((await t.db.query(`SELECT enabled_at FROM user_totp WHERE user_id = $1`, [user.id]))[0].enabled_at).toBeNull();
  });
});
