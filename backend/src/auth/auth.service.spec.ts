import { UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AuthService, IssuedTokens } from './auth.service.js';
import { aSession, aUser, base64url, DAY_MS, newAuthService, SESSION_ID, sha256, START, USER_ID } from '../../test/helpers/auth-service.js';
import { rejection } from '../../test/helpers/rejection.js';

describe('AuthService', () => {
  let fixture: ReturnType<typeof newAuthService>;
  let sut: AuthService;
  let clock: typeof fixture.clock;
  let jwt: typeof fixture.jwt;
  let transactions: typeof fixture.transactions;
  let sessions: typeof fixture.sessions;
  let usersService: typeof fixture.usersService;
  let hasher: typeof fixture.hasher;

  beforeEach(() => {
    fixture = newAuthService();
    ({ sut, clock, jwt, transactions, sessions, usersService, hasher } = fixture);
  });

  const accessPayload = (overrides: object = {}) => {
    const iat = clock.nowSeconds();
    return { sub: USER_ID, sid: SESSION_ID, ver: 0, typ: 'access', iat, exp: iat + 900, ...overrides };
  };

  /** A sign-in without a second factor answers tokens. */
  const loginTokens = async (...args: Parameters<AuthService['login']>) => (await sut.login(...args)) as IssuedTokens;
  const signIn = async () => (await loginTokens({ username: 'ada', password: 'right password' })).accessToken;

  describe('login', () => {
    it('starts a session and issues tokens for the right password', async () => {
      const tokens = await loginTokens({ username: 'ada', password: 'right password' }, { deviceName: 'Firefox on Linux', ip: '192.0.2.7' });

      expect(hasher.verify).toHaveBeenCalledWith('$argon2id$stored', 'right password');
      expect(tokens).toMatchObject({ expiresIn: 900, sessionExpiresAt: new Date(START.getTime() + 30 * DAY_MS), user: aUser() });
      expect(jwt.decode(tokens.accessToken)).toEqual({
        sub: USER_ID,
        sid: SESSION_ID,
        ver: 0,
        typ: 'access',
        iat: START.getTime() / 1000,
        exp: START.getTime() / 1000 + 900,
      });
      expect(sessions.create).toHaveBeenCalledWith(transactions.tx, {
        userId: USER_ID,
        createdAt: START,
        expiresAt: tokens.sessionExpiresAt,
        deviceName: 'Firefox on Linux',
        ip: '192.0.2.7',
        mfaAt: null,
      });
      expect(fixture.realtime.sessionStarted).toHaveBeenCalledWith(USER_ID, { id: SESSION_ID, deviceName: 'Firefox on Linux', ip: '192.0.2.7', createdAt: START });
    });

    it('stores only the SHA-256 of the refresh token it hands out', async () => {
      const tokens = await loginTokens({ username: 'ada', password: 'right password' });

      expect(tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(sessions.addRefreshToken).toHaveBeenCalledWith(transactions.tx, SESSION_ID, sha256(tokens.refreshToken), START);
    });

    it('answers INVALID_CREDENTIALS for a wrong password', async () => {
      hasher.verify.mockResolvedValueOnce(false);

      const error = await rejection(sut.login({ username: 'ada', password: 'wrong' }));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('answers an unknown username exactly like a wrong password, after the same hashing work', async () => {
      hasher.verify.mockResolvedValueOnce(false);
      const wrongPassword = await rejection(sut.login({ username: 'ada', password: 'wrong' }));
      usersService.findByUsername.mockResolvedValueOnce(null);
      hasher.verify.mockResolvedValueOnce(false);

      const unknownUser = await rejection(sut.login({ username: 'nobody', password: 'whatever' }));

      expect(unknownUser).toBeInstanceOf(UnauthorizedException);
      expect(unknownUser.getResponse()).toEqual(wrongPassword.getResponse());
      expect(unknownUser.getResponse()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect(hasher.verify).toHaveBeenLastCalledWith(undefined, 'whatever');
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('refuses an unknown username even if the hasher were to say yes', async () => {
      usersService.findByUsername.mockResolvedValueOnce(null);

      const error = await rejection(sut.login({ username: 'nobody', password: 'whatever' }));

      expect(error.getResponse()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    });
  });

  describe('signInAsProcess', () => {
    it('starts a session for the user and issues its tokens without asking for a password', async () => {
      const tokens = await sut.signInAsProcess(USER_ID);

      expect(hasher.verify).not.toHaveBeenCalled();
      expect(usersService.getById).toHaveBeenCalledWith(USER_ID);
      expect(sessions.create).toHaveBeenCalledWith(transactions.tx, {
        userId: USER_ID,
        createdAt: START,
        expiresAt: tokens.sessionExpiresAt,
        deviceName: 'Iris seed',
        ip: null,
        mfaAt: null,
      });
      expect(jwt.decode(tokens.accessToken)).toMatchObject({ sub: USER_ID, sid: SESSION_ID, typ: 'access' });
    });
  });

  describe('authenticate', () => {
    it('returns who is calling for a valid token', async () => {
      const token = await signIn();

      await expect(sut.authenticate(token)).resolves.toEqual({ id: USER_ID, role: 'user', sessionId: SESSION_ID, tokenVersion: 0 });
      expect(sessions.validRole).toHaveBeenCalledWith(SESSION_ID, USER_ID, 0, START);
    });

    it('still accepts the token one second before it expires', async () => {
      const token = await signIn();
      clock.advance(899_000);

      await expect(sut.authenticate(token)).resolves.toMatchObject({ id: USER_ID });
    });

    it('answers TOKEN_EXPIRED once the 900 s lifetime has passed', async () => {
      const token = await signIn();
      clock.advance(901_000);

      const error = await rejection(sut.authenticate(token));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'TOKEN_EXPIRED' });
    });

    it('answers INVALID_TOKEN for a token signed with another secret', async () => {
      const forged = new JwtService({ secret: 'another-secret-that-is-also-32-characters-long' }).sign(accessPayload());

      const error = await rejection(sut.authenticate(forged));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
      expect(sessions.validRole).not.toHaveBeenCalled();
    });

    it("answers INVALID_TOKEN for an unsigned token with alg 'none'", async () => {
      const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(accessPayload())}.`;

      const error = await rejection(sut.authenticate(unsigned));

      expect(error.getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
      expect(sessions.validRole).not.toHaveBeenCalled();
    });

    it('answers INVALID_TOKEN for something that is not a JWT', async () => {
      expect((await rejection(sut.authenticate('not-a-jwt'))).getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
    });

    it("answers INVALID_TOKEN for a correctly signed token whose typ is not 'access'", async () => {
      const refreshLike = jwt.sign(accessPayload({ typ: 'refresh' }));

      const error = await rejection(sut.authenticate(refreshLike));

      expect(error.getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
      expect(sessions.validRole).not.toHaveBeenCalled();
    });

    it.each([
      ['a session id that is not a UUID', { sid: 'session-1' }],
      ['a user id that is not a UUID', { sub: 'user-1' }],
      ['a token version that is text', { ver: '0' }],
      ['a token version that is not a whole number', { ver: 0.5 }],
      ['a token version beyond a database integer', { ver: 2 ** 31 }],
      ['no token version', { ver: undefined }],
    ])('answers INVALID_TOKEN for a correctly signed token with %s, before any query', async (_, claims) => {
      const error = await rejection(sut.authenticate(jwt.sign(accessPayload(claims as object))));

      expect(error.getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
      expect(sessions.validRole).not.toHaveBeenCalled();
    });

    it('answers INVALID_TOKEN for a correctly signed token without a session id', async () => {
      const { sid: _, ...withoutSession } = accessPayload();

      const error = await rejection(sut.authenticate(jwt.sign(withoutSession)));

      expect(error.getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
    });

    it.each([
      ['the session was revoked', { revoked_at: START }],
      ['the session has expired', { expires_at: START }],
      ['the password changed since (token version bumped)', { token_version: 1 }],
    ])('answers SESSION_REVOKED when %s', async (_, session) => {
      const token = await signIn();
      fixture.state.session = aSession(session);

      const error = await rejection(sut.authenticate(token));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'SESSION_REVOKED' });
    });

    it('answers SESSION_REVOKED when the session or its user does not exist', async () => {
      const token = await signIn();
      fixture.state.session = null;

      expect((await rejection(sut.authenticate(token))).getResponse()).toMatchObject({ code: 'SESSION_REVOKED' });
    });
  });

});
