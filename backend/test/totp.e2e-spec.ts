import { Secret, TOTP } from 'otpauth';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

describe('two-factor authentication with TOTP (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** The code an authenticator app shows at the test clock's time, `steps` 30-second steps away. */
  const codeAt = (secret: string, steps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: t.clock.now().getTime() + steps * 30_000 });

  async function withTotp(): Promise<{ user: Registered; secret: string; recoveryCodes: string[] }> {
    const user = await register(t.http);
    const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(200);
    const enabled = await t.http.post('/api/auth/2fa/totp/enable').set(bearer(user.accessToken)).send({ code: codeAt(setup.body.secret), password: PASSWORD }).expect(200);
    t.clock.advance(30_000);
    return { user, secret: setup.body.secret, recoveryCodes: enabled.body.recoveryCodes };
  }

  const login = (username: string) => t.http.post('/api/auth/login').send({ username, password: PASSWORD }).expect(200);
  const second = (body: object) => t.http.post('/api/auth/login/mfa').send(body);

  it('sets up with a secret and otpauth URL, confirms with a code, and hands out 10 recovery codes stored hashed', async () => {
    const user = await register(t.http);
    const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.otpauthUrl).toBe(`otpauth://totp/Iris:${user.username}?issuer=Iris&secret=${setup.body.secret}&algorithm=SHA1&digits=6&period=30`);
    // Until it is confirmed, sign-in is unchanged.
    expect((await login(user.username)).body.accessToken).toEqual(expect.any(String));
    const wrong = await t.http.post('/api/auth/2fa/totp/enable').set(bearer(user.accessToken)).send({ code: '000000', password: PASSWORD }).expect(400);
    expect(wrong.body.code).toBe('INVALID_TOTP_CODE');

    const enabled = await t.http.post('/api/auth/2fa/totp/enable').set(bearer(user.accessToken)).send({ code: codeAt(setup.body.secret), password: PASSWORD }).expect(200);

    expect(enabled.body.recoveryCodes).toHaveLength(10);
    expect(new Set(enabled.body.recoveryCodes).size).toBe(10);
    const rows = await t.db.query(`SELECT code_hash FROM recovery_codes WHERE user_id = $1`, [user.id]);
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(enabled.body.recoveryCodes).not.toContain(row.code_hash.toString());
    expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body).toEqual({ totpEnabled: true, recoveryCodesLeft: 10, required: false });
    const again = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(409);
    expect(again.body.code).toBe('TOTP_ALREADY_ENABLED');
  });

  it('asks for the second step after the password, and signs in with the code', async () => {
    const { user, secret } = await withTotp();
    const first = await login(user.username);
    expect(first.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String) });
    expect(first.headers['set-cookie']).toBeUndefined();

    const signedIn = await second({ mfaToken: first.body.mfaToken, code: codeAt(secret) }).expect(200);

    expect(signedIn.body).toMatchObject({ accessToken: expect.any(String), user: { id: user.id } });
    await t.http.get('/api/users/me').set(bearer(signedIn.body.accessToken)).expect(200);
    // The token was spent.
    expect((await second({ mfaToken: first.body.mfaToken, code: codeAt(secret, 1) }).expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
  });

  it('refuses a wrong code, a reused code and a code two steps old, each with its own code', async () => {
    const { user, secret } = await withTotp();
    const { mfaToken } = (await login(user.username)).body;
    expect((await second({ mfaToken, code: '123456' === codeAt(secret) ? '654321' : '123456' }).expect(401)).body.code).toBe('INVALID_TOTP_CODE');
    expect((await second({ mfaToken, code: codeAt(secret, -2) }).expect(401)).body.code).toBe('INVALID_TOTP_CODE');
    const code = codeAt(secret);
    await second({ mfaToken, code }).expect(200);

    const next = (await login(user.username)).body.mfaToken;
    expect((await second({ mfaToken: next, code }).expect(401)).body.code).toBe('TOTP_CODE_REUSED');
    // The previous step's code is older than the one used: refused too, though inside the ±1 window.
    expect((await second({ mfaToken: next, code: codeAt(secret, -1) }).expect(401)).body.code).toBe('TOTP_CODE_REUSED');
    // A step later is fine.
    t.clock.advance(30_000);
    await second({ mfaToken: next, code: codeAt(secret) }).expect(200);
  });

  it('refuses an expired mfaToken and an unknown one', async () => {
    const { user, secret } = await withTotp();
    const { mfaToken } = (await login(user.username)).body;
    t.clock.advance(5 * 60_000);
    expect((await second({ mfaToken, code: codeAt(secret) }).expect(401)).body.code).toBe('MFA_TOKEN_EXPIRED');
    expect((await second({ mfaToken, code: codeAt(secret) }).expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
    expect((await second({ mfaToken: 'made-up', code: codeAt(secret) }).expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
    const neither = await second({ mfaToken }).expect(400);
    expect(neither.body.code).toBe('VALIDATION_FAILED');
  });

  it('drops an mfaToken after 5 wrong codes, so guessing needs the password again', async () => {
    const { user, secret } = await withTotp();
    const { mfaToken } = (await login(user.username)).body;
    const wrong = codeAt(secret) === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt++) expect((await second({ mfaToken, code: wrong }).expect(401)).body.code).toBe('INVALID_TOTP_CODE');
    expect((await second({ mfaToken, code: codeAt(secret) }).expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
  });

  it('accepts each recovery code once, in any case and spacing', async () => {
    const { user, recoveryCodes } = await withTotp();
    const [code] = recoveryCodes;
    const first = (await login(user.username)).body.mfaToken;
    await second({ mfaToken: first, recoveryCode: ` ${code.toUpperCase()} ` }).expect(200);
    expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body.recoveryCodesLeft).toBe(9);

    const again = (await login(user.username)).body.mfaToken;
    expect((await second({ mfaToken: again, recoveryCode: code }).expect(401)).body.code).toBe('RECOVERY_CODE_USED');
    expect((await second({ mfaToken: again, recoveryCode: 'aaaaa-bbbbb' }).expect(401)).body.code).toBe('RECOVERY_CODE_INVALID');
    await second({ mfaToken: again, code: recoveryCodes[1] }).expect(200);
  });

  it('turns off only with the password and a code, and then signs in with the password alone', async () => {
    const { user, secret } = await withTotp();
    const off = (body: object) => t.http.delete('/api/auth/2fa/totp').set(bearer(user.accessToken)).send(body);
    expect((await off({ password: 'wrong password', code: codeAt(secret) }).expect(403)).body.code).toBe('WRONG_PASSWORD');
    expect((await off({ password: PASSWORD, code: '000000' === codeAt(secret) ? '111111' : '000000' }).expect(400)).body.code).toBe('INVALID_TOTP_CODE');
    expect((await off({ password: PASSWORD }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body.totpEnabled).toBe(true);

    await off({ password: PASSWORD, code: codeAt(secret) }).expect(204);

    expect((await login(user.username)).body.accessToken).toEqual(expect.any(String));
    expect(await t.db.query(`SELECT 1 FROM user_totp WHERE user_id = $1 UNION ALL SELECT 1 FROM recovery_codes WHERE user_id = $1`, [user.id])).toHaveLength(0);
    expect((await off({ password: PASSWORD, code: codeAt(secret) }).expect(409)).body.code).toBe('TOTP_NOT_ENABLED');
  });

  it('counts wrong second steps per account across tokens, and locks the account for a while', async () => {
    const { user, secret } = await withTotp();
    const wrong = () => (codeAt(secret) === '000000' ? '111111' : '000000');
    for (let round = 0; round < 2; round++) {
      const { mfaToken } = (await login(user.username)).body;
      for (let attempt = 0; attempt < 5; attempt++) await second({ mfaToken, code: wrong() }).expect(401);
    }
    const { mfaToken } = (await login(user.username)).body;
    const locked = await second({ mfaToken, code: codeAt(secret) }).expect(429);
    expect(locked.body.code).toBe('RATE_LIMITED');
    expect(locked.headers['retry-after']).toBe('60');
    t.clock.advance(60_000);
    const fresh = (await login(user.username)).body.mfaToken;
    await second({ mfaToken: fresh, code: codeAt(secret) }).expect(200);
  });
});

describe('REQUIRE_ADMIN_2FA (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REQUIRE_ADMIN_2FA: 'true', ADMIN_USERNAME: 'root_2fa', ADMIN_PASSWORD: PASSWORD });
  });
  afterAll(() => t.close());

  it('keeps the admin routes from an admin until their two-factor authentication is on', async () => {
    const signIn = await t.http.post('/api/auth/login').send({ username: 'root_2fa', password: PASSWORD }).expect(200);
    const admin = signIn.body.accessToken as string;
    expect((await t.http.get('/api/auth/2fa').set(bearer(admin)).expect(200)).body).toMatchObject({ totpEnabled: false, required: true });
    expect((await t.http.get('/api/admin/users').set(bearer(admin)).expect(403)).body.code).toBe('ADMIN_2FA_REQUIRED');
    const user = await register(t.http);
    expect((await t.http.get('/api/auth/2fa').set(bearer(user.accessToken)).expect(200)).body.required).toBe(false);

    const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(admin)).expect(200);
    const code = new TOTP({ secret: Secret.fromBase32(setup.body.secret) }).generate({ timestamp: t.clock.now().getTime() });
    await t.http.post('/api/auth/2fa/totp/enable').set(bearer(admin)).send({ code, password: PASSWORD }).expect(200);

    await t.http.get('/api/admin/users').set(bearer(admin)).expect(200);
  });
});
