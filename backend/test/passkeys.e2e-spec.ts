import { generateKeyPairSync } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';
import { SoftAuthenticator, type SoftCredential } from './helpers/webauthn.js';

describe('passkeys (e2e)', () => {
  let t: TestApp;
  const authenticator = new SoftAuthenticator();
  beforeAll(async () => {
    t = await createTestApp({ LOGIN_FAILURES_PER_ACCOUNT: '3' });
  });
  afterAll(() => t.close());

  async function withPasskey(user?: Registered, name = 'Laptop'): Promise<{ user: Registered; passkey: SoftCredential; id: string }> {
    const owner = user ?? (await register(t.http));
    const options = await t.http.post('/api/auth/passkeys/registration/options').set(bearer(owner.accessToken)).expect(200);
    const made = authenticator.create(options.body);
    const added = await t.http.post('/api/auth/passkeys').set(bearer(owner.accessToken)).send({ name, credential: made.credential }).expect(201);
    return { user: owner, passkey: made.passkey, id: added.body.id };
  }

  const signInOptions = async () => (await t.http.post('/api/auth/passkeys/login/options').expect(200)).body;
  const signIn = (credential: object) => t.http.post('/api/auth/passkeys/login').send({ credential });

  it('registers a named, discoverable passkey and lists it without key material', async () => {
    const user = await register(t.http);
    const options = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'Iris' },
      user: { name: user.username },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: [],
    });
    const made = authenticator.create(options);

    const added = await t.http.post('/api/auth/passkeys').set(bearer(user.accessToken)).send({ name: '  Laptop  ', credential: made.credential }).expect(201);

    expect(added.body).toEqual({ id: expect.any(String), name: 'Laptop', createdAt: t.clock.now().toISOString(), lastUsedAt: null, backedUp: false });
    const list = await t.http.get('/api/auth/passkeys').set(bearer(user.accessToken)).expect(200);
    expect(list.body).toEqual({ items: [added.body] });
    const [row] = await t.db.query(`SELECT credential_id, counter, transports FROM user_passkeys WHERE user_id = $1`, [user.id]);
    expect(row).toEqual({ credential_id: made.passkey.id, counter: '0', transports: ['internal'] });
    // The next registration tells the browser not to make a second passkey on the same authenticator.
    const next = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;
    expect(next.excludeCredentials).toEqual([{ id: made.passkey.id, type: 'public-key', transports: ['internal'] }]);
  });

  it('refuses a registration whose challenge is unknown, spent, another user’s, or for signing in', async () => {
    const user = await register(t.http);
    const other = await register(t.http);
    const add = (credential: object, who = user) => t.http.post('/api/auth/passkeys').set(bearer(who.accessToken)).send({ name: 'Key', credential });
    const options = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;

    expect((await add(authenticator.create({ ...options, challenge: 'bWFkZS11cC1jaGFsbGVuZ2UtMTIzNDU2' }).credential).expect(400)).body.code).toBe('PASSKEY_CHALLENGE_INVALID');
    expect((await add(authenticator.create(options).credential, other).expect(400)).body.code).toBe('PASSKEY_CHALLENGE_INVALID');
    // The other user's attempt did not spend it... but a challenge answered once is gone, whoever answered.
    expect((await add(authenticator.create(options).credential).expect(400)).body.code).toBe('PASSKEY_CHALLENGE_USED');
    const login = await signInOptions();
    expect((await add(authenticator.create({ ...options, challenge: login.challenge }).credential).expect(400)).body.code).toBe('PASSKEY_CHALLENGE_INVALID');

    const fresh = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;
    expect((await add(authenticator.create(fresh, { origin: 'https://evil.example' }).credential).expect(400)).body.code).toBe('PASSKEY_INVALID');
    const late = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;
    t.clock.advance(5 * 60_000);
    expect((await add(authenticator.create(late).credential).expect(400)).body.code).toBe('PASSKEY_CHALLENGE_EXPIRED');
    expect(await t.db.query(`SELECT 1 FROM user_passkeys WHERE user_id = $1`, [user.id])).toHaveLength(0);
  });

  it('refuses to register one credential twice', async () => {
    const { user } = await withPasskey();
    const options = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;
    const made = authenticator.create(options);
    await t.http.post('/api/auth/passkeys').set(bearer(user.accessToken)).send({ name: 'A', credential: made.credential }).expect(201);
    const again = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;
    const response = JSON.parse(Buffer.from((made.credential as { response: { clientDataJSON: string } }).response.clientDataJSON, 'base64url').toString());
    const replayedClientData = Buffer.from(JSON.stringify({ ...response, challenge: again.challenge })).toString('base64url');
    const credential = { ...made.credential, response: { ...(made.credential as { response: object }).response, clientDataJSON: replayedClientData } };
    expect((await t.http.post('/api/auth/passkeys').set(bearer(user.accessToken)).send({ name: 'B', credential }).expect(409)).body.code).toBe('PASSKEY_ALREADY_REGISTERED');
  });

  it('signs in with a passkey alone, with no username, and records its use', async () => {
    const { user, passkey, id } = await withPasskey();
    const options = await signInOptions();
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    expect(options.allowCredentials ?? []).toEqual([]);

    const signedIn = await signIn(authenticator.get(options, passkey)).expect(200);

    expect(signedIn.body).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String), user: { id: user.id } });
    expect(signedIn.headers['set-cookie']?.[0]).toMatch(/^iris_refresh=/);
    await t.http.get('/api/users/me').set(bearer(signedIn.body.accessToken)).expect(200);
    const sessions = (await t.http.get('/api/sessions').set(bearer(signedIn.body.accessToken)).expect(200)).body.items;
    expect(sessions).toHaveLength(2);
    // User verification makes a passkey two factors: the session counts as having proved a second one.
    const current = sessions.find((session: { current: boolean }) => session.current).id;
    expect((await t.db.query(`SELECT mfa_at FROM sessions WHERE id = $1`, [current]))[0].mfa_at).not.toBeNull();
    const [listed] = (await t.http.get('/api/auth/passkeys').set(bearer(user.accessToken)).expect(200)).body.items;
    expect(listed).toMatchObject({ id, lastUsedAt: t.clock.now().toISOString() });
    expect((await t.db.query(`SELECT counter FROM user_passkeys WHERE id = $1`, [id]))[0].counter).toBe('1');
  });

  it('refuses a replayed assertion, a cloned authenticator’s counter, a forgery, another site and an unknown passkey', async () => {
    const { passkey } = await withPasskey();
    const options = await signInOptions();
    const assertion = authenticator.get(options, passkey);
    await signIn(assertion).expect(200);

    expect((await signIn(assertion).expect(401)).body.code).toBe('PASSKEY_CHALLENGE_USED');
    // A fresh challenge signed with the same counter: a copy of the key that did not see the last use.
    expect((await signIn(authenticator.get(await signInOptions(), passkey, { counter: passkey.counter })).expect(401)).body.code).toBe('PASSKEY_REPLAYED');
    expect((await signIn(authenticator.get(await signInOptions(), passkey, { counter: 0 })).expect(401)).body.code).toBe('PASSKEY_REPLAYED');
    expect((await t.db.query(`SELECT counter FROM user_passkeys WHERE credential_id = $1`, [passkey.id]))[0].counter).toBe('1');
    passkey.counter = 1;
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect((await signIn(authenticator.get(await signInOptions(), passkey, { signWith: forger })).expect(401)).body.code).toBe('PASSKEY_INVALID');
    expect((await signIn(authenticator.get(await signInOptions(), passkey, { origin: 'https://evil.example' })).expect(401)).body.code).toBe('PASSKEY_INVALID');
    expect((await signIn(authenticator.get(await signInOptions(), passkey, { rpId: 'evil.example' })).expect(401)).body.code).toBe('PASSKEY_INVALID');
    const stranger = { ...passkey, id: 'bm90LXJlZ2lzdGVyZWQ' };
    expect((await signIn(authenticator.get(await signInOptions(), stranger)).expect(401)).body.code).toBe('PASSKEY_UNKNOWN');
    // After all that, the real authenticator's next use still works.
    await signIn(authenticator.get(await signInOptions(), passkey)).expect(200);
  });

  it('refuses a made-up challenge, an expired one and a registration challenge at sign-in', async () => {
    const { user, passkey } = await withPasskey();
    expect((await signIn(authenticator.get({ challenge: 'bWFkZS11cC1jaGFsbGVuZ2UtMTIzNDU2' }, passkey)).expect(401)).body.code).toBe('PASSKEY_CHALLENGE_INVALID');
    const registration = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;
    expect((await signIn(authenticator.get(registration, passkey)).expect(401)).body.code).toBe('PASSKEY_CHALLENGE_INVALID');
    const options = await signInOptions();
    t.clock.advance(5 * 60_000);
    expect((await signIn(authenticator.get(options, passkey)).expect(401)).body.code).toBe('PASSKEY_CHALLENGE_EXPIRED');
  });

  it('gets its owner in while failed passwords keep the account locked', async () => {
    const { user, passkey } = await withPasskey();
    for (let attempt = 0; attempt < 3; attempt++) await t.http.post('/api/auth/login').send({ username: user.username, password: 'wrong password' }).expect(401);
    expect((await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(429)).body.code).toBe('RATE_LIMITED');

    const signedIn = await signIn(authenticator.get(await signInOptions(), passkey)).expect(200);

    expect(signedIn.body.user.id).toBe(user.id);
  });

  describe('as the second step', () => {
    const codeAt = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() });

    async function withTotpAndPasskey() {
      const { user, passkey } = await withPasskey();
      const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(user.accessToken)).expect(200);
      await t.http.post('/api/auth/2fa/totp/enable').set(bearer(user.accessToken)).send({ code: codeAt(setup.body.secret), password: PASSWORD }).expect(200);
      return { user, passkey };
    }
    const mfaTokenOf = async (username: string) => (await t.http.post('/api/auth/login').send({ username, password: PASSWORD }).expect(200)).body.mfaToken as string;
    const mfaOptions = (mfaToken: string) => t.http.post('/api/auth/passkeys/mfa/options').send({ mfaToken });
    const mfa = (mfaToken: string, credential: object) => t.http.post('/api/auth/passkeys/mfa').send({ mfaToken, credential });

    it('takes a passkey instead of the code, once per mfaToken', async () => {
      const { user, passkey } = await withTotpAndPasskey();
      const mfaToken = await mfaTokenOf(user.username);
      const options = (await mfaOptions(mfaToken).expect(200)).body;
      expect(options.allowCredentials).toEqual([{ id: passkey.id, type: 'public-key', transports: ['internal'] }]);

      const signedIn = await mfa(mfaToken, authenticator.get(options, passkey)).expect(200);

      expect(signedIn.body.user.id).toBe(user.id);
      await t.http.get('/api/users/me').set(bearer(signedIn.body.accessToken)).expect(200);
      // Started in the step's transaction and marked as having proved the second factor (REQUIRE_ADMIN_2FA).
      const current = (await t.http.get('/api/sessions').set(bearer(signedIn.body.accessToken)).expect(200)).body.items.find((session: { current: boolean }) => session.current).id;
      expect((await t.db.query(`SELECT mfa_at FROM sessions WHERE id = $1`, [current]))[0].mfa_at).not.toBeNull();
      const again = (await mfaOptions(mfaToken).expect(401)).body.code;
      expect(again).toBe('MFA_TOKEN_INVALID');
      expect((await mfa(mfaToken, authenticator.get(options, passkey)).expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
    });

    it('refuses another account’s passkey, a sign-in challenge, an unknown or expired token, and an account without passkeys', async () => {
      const { user, passkey } = await withTotpAndPasskey();
      const { passkey: strangers } = await withPasskey();
      const mfaToken = await mfaTokenOf(user.username);
      const options = (await mfaOptions(mfaToken).expect(200)).body;
      expect((await mfa(mfaToken, authenticator.get(options, strangers)).expect(401)).body.code).toBe('PASSKEY_UNKNOWN');
      expect((await mfa(mfaToken, authenticator.get(await signInOptions(), passkey)).expect(401)).body.code).toBe('PASSKEY_CHALLENGE_INVALID');
      expect((await mfaOptions('made-up').expect(401)).body.code).toBe('MFA_TOKEN_INVALID');
      // The token survived those refusals; a passkey answer for it still passes.
      await mfa(mfaToken, authenticator.get((await mfaOptions(mfaToken).expect(200)).body, passkey)).expect(200);

      const late = await mfaTokenOf(user.username);
      const lateOptions = (await mfaOptions(late).expect(200)).body;
      t.clock.advance(5 * 60_000);
      expect((await mfa(late, authenticator.get(lateOptions, passkey)).expect(401)).body.code).toBe('MFA_TOKEN_EXPIRED');

      const plain = await register(t.http);
      const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(plain.accessToken)).expect(200);
      await t.http.post('/api/auth/2fa/totp/enable').set(bearer(plain.accessToken)).send({ code: codeAt(setup.body.secret), password: PASSWORD }).expect(200);
      expect((await mfaOptions(await mfaTokenOf(plain.username)).expect(404)).body.code).toBe('PASSKEY_NOT_FOUND');
    });
  });

  it('renames and removes only the caller’s own passkeys; removing needs the password', async () => {
    const { user, passkey, id } = await withPasskey();
    const other = await register(t.http);
    const rename = (who: Registered, name: unknown, target = id) => t.http.patch(`/api/auth/passkeys/${target}`).set(bearer(who.accessToken)).send({ name });
    const remove = (who: Registered, password: string, target = id) => t.http.delete(`/api/auth/passkeys/${target}`).set(bearer(who.accessToken)).send({ password });

    expect((await rename(user, 'Phone').expect(200)).body).toMatchObject({ id, name: 'Phone' });
    expect((await rename(other, 'Mine now').expect(404)).body.code).toBe('PASSKEY_NOT_FOUND');
    expect((await remove(other, PASSWORD).expect(404)).body.code).toBe('PASSKEY_NOT_FOUND');
    expect((await remove(user, 'wrong password').expect(403)).body.code).toBe('WRONG_PASSWORD');
    expect((await t.http.get('/api/auth/passkeys').set(bearer(user.accessToken)).expect(200)).body.items).toEqual([expect.objectContaining({ id, name: 'Phone' })]);

    await remove(user, PASSWORD).expect(204);

    expect((await t.http.get('/api/auth/passkeys').set(bearer(user.accessToken)).expect(200)).body.items).toEqual([]);
    expect((await signIn(authenticator.get(await signInOptions(), passkey)).expect(401)).body.code).toBe('PASSKEY_UNKNOWN');
    expect((await remove(user, PASSWORD).expect(404)).body.code).toBe('PASSKEY_NOT_FOUND');
  });

  it('answers bad bodies and ids with 400 and changes nothing', async () => {
    const { user, passkey, id } = await withPasskey();
    const options = (await t.http.post('/api/auth/passkeys/registration/options').set(bearer(user.accessToken)).expect(200)).body;
    const { credential } = authenticator.create(options);
    const add = (body: object) => t.http.post('/api/auth/passkeys').set(bearer(user.accessToken)).send(body);
    const bad = [
      {},
      { name: 'x' },
      { name: '   ', credential },
      { name: 'x'.repeat(65), credential },
      { name: 'x', credential: 'text' },
      { name: 'x', credential: { ...credential, type: 'password' } },
      { name: 'x', credential: { ...credential, response: { clientDataJSON: 'not base64url!' } } },
      { name: 'x', credential, extra: true },
    ];
    for (const body of bad) expect({ body, code: (await add(body).expect(400)).body.code }).toEqual({ body, code: 'VALIDATION_FAILED' });
    for (const body of [{}, { credential: null }, { credential: { id: passkey.id } }]) {
      expect((await t.http.post('/api/auth/passkeys/login').send(body).expect(400)).body.code).toBe('VALIDATION_FAILED');
    }
    expect((await t.http.post('/api/auth/passkeys/mfa').send({ credential: authenticator.get(options, passkey) }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.patch('/api/auth/passkeys/not-an-id').set(bearer(user.accessToken)).send({ name: 'x' }).expect(400)).body.code).toBe('INVALID_ID');
    expect((await t.http.patch(`/api/auth/passkeys/${id}`).set(bearer(user.accessToken)).send({ name: '' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.delete(`/api/auth/passkeys/${id}`).set(bearer(user.accessToken)).send({}).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.get('/api/auth/passkeys').expect(401)).body.code).toBe('UNAUTHORIZED');
    // The challenge these options made is still unspent: the good body goes through.
    await add({ name: 'Second', credential }).expect(201);
    expect((await t.http.get('/api/auth/passkeys').set(bearer(user.accessToken)).expect(200)).body.items.map((p: { name: string }) => p.name)).toEqual(['Laptop', 'Second']);
  });
});
