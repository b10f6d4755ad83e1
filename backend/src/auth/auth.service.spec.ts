import { jest } from '@jest/globals';
import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash } from 'node:crypto';
import { IsNull, type DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { User } from '../users/user.entity.js';
import type { UsersService } from '../users/users.service.js';
import { AuthService } from './auth.service.js';
import type { PasswordHasher } from './password-hasher.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';
import { fakePgPool } from '../../test/helpers/fake-pg-pool.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { rejection } from '../../test/helpers/rejection.js';
import { asRealtime, fakeRealtime, type FakeRealtime } from '../../test/helpers/fake-realtime.js';

// Token claims are UUIDs, as the database makes them; anything else is not a token this server issued.
const USER_ID = '6f1c7f52-3c1e-4f0e-9a57-0b3c2a1d4e5f';
const SESSION_ID = '0d9e8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b';

const SECRET = 'unit-test-jwt-secret-at-least-32-characters';
const START = new Date('2030-01-01T00:00:00Z');
const DAY_MS = 86_400_000;


function aUser(overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: USER_ID,
    username: 'ada',
    displayName: 'Ada',
    statusMessage: '',
    passwordHash: '$argon2id$stored',
    role: 'user',
    tokenVersion: 0,
    ...overrides,
  });
}

type RefreshRow = { id: string; used_at: Date | null; session_id: string; user_id: string; expires_at: Date; revoked_at: Date | null };

/** Records what the service writes inside a transaction; `query` answers the refresh-token lookup. */
function fakeEntityManager() {
  return {
    create: jest.fn((_entity: unknown, data: object) => ({ ...data })),
    save: jest.fn(async (row: object) => ({ ...row, id: SESSION_ID })),
    insert: jest.fn(async (_entity: unknown, _row: object) => ({})),
    update: jest.fn(async (_entity: unknown, _criteria: object, _changes: object) => ({ affected: 1 })),
    query: jest.fn<(sql: string, params: unknown[]) => Promise<RefreshRow[]>>(async () => []),
  };
}

/** The row the session check answers for a valid session. */
function fakeSessionRow(overrides: Record<string, unknown> = {}) {
  return { expires_at: new Date(START.getTime() + 30 * DAY_MS), revoked_at: null, role: 'user', token_version: 0, ...overrides };
}

const sha256 = (token: string) => createHash('sha256').update(token).digest();
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');


describe('AuthService', () => {
  let clock: FakeClock;
  let jwt: JwtService;
  let manager: ReturnType<typeof fakeEntityManager>;
  let pool: ReturnType<typeof fakePgPool>;
  let sessions: {
    update: jest.Mock<(...args: unknown[]) => Promise<object>>;
  };
  let refreshTokens: { findOneBy: jest.Mock<(where: object) => Promise<RefreshToken | null>> };
  let dataSource: {
    manager: ReturnType<typeof fakePgPool>['manager'];
    transaction: jest.Mock<(work: (m: unknown) => Promise<unknown>) => Promise<unknown>>;
    getRepository: jest.Mock<(entity: unknown) => unknown>;
  };
  let usersService: {
    findByUsername: jest.Mock<UsersService['findByUsername']>;
    getById: jest.Mock<UsersService['getById']>;
    create: jest.Mock<UsersService['create']>;
    setPassword: jest.Mock<UsersService['setPassword']>;
  };
  let hasher: { hash: jest.Mock<PasswordHasher['hash']>; verify: jest.Mock<PasswordHasher['verify']> };
  let realtime: FakeRealtime;
  let sut: AuthService;

  beforeEach(() => {
    clock = new FakeClock(START);
    jwt = new JwtService({ secret: SECRET, signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } });
    manager = fakeEntityManager();
    pool = fakePgPool();
    pool.query.mockImplementation(async () => ({ rows: [fakeSessionRow()] }));
    sessions = { update: jest.fn(async () => ({ affected: 1 })) };
    refreshTokens = { findOneBy: jest.fn(async () => null) };
    dataSource = {
      manager: pool.manager,
      transaction: jest.fn(async (work) => work(manager)),
      getRepository: jest.fn((entity) => (entity === Session ? sessions : entity === RefreshToken ? refreshTokens : undefined)),
    };
    usersService = {
      findByUsername: jest.fn(async () => aUser()),
      getById: jest.fn(async () => aUser()),
      create: jest.fn(async () => aUser()),
      setPassword: jest.fn(async () => undefined),
    };
    hasher = { hash: jest.fn(async () => '$argon2id$new'), verify: jest.fn(async () => true) };
    sut = new AuthService(
      dataSource as unknown as DataSource,
      usersService as unknown as UsersService,
      hasher as unknown as PasswordHasher,
      jwt,
      clock,
      new AppConfig(),
      asRealtime((realtime = fakeRealtime())),
    );
  });

  const accessPayload = (overrides: object = {}) => {
    const iat = clock.nowSeconds();
    return { sub: USER_ID, sid: SESSION_ID, ver: 0, typ: 'access', iat, exp: iat + 900, ...overrides };
  };

  const signIn = async () => (await sut.login({ username: 'ada', password: 'right password' })).accessToken;

  describe('login', () => {
    it('starts a session and issues tokens for the right password', async () => {
      const tokens = await sut.login({ username: 'ada', password: 'right password' });

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
      expect(manager.save).toHaveBeenCalledWith(
        expect.objectContaining({ userId: USER_ID, createdAt: START, expiresAt: tokens.sessionExpiresAt, revokedAt: null }),
      );
    });

    it('stores only the SHA-256 of the refresh token it hands out', async () => {
      const tokens = await sut.login({ username: 'ada', password: 'right password' });

      expect(tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(manager.insert).toHaveBeenCalledWith(RefreshToken, {
        sessionId: SESSION_ID,
        tokenHash: sha256(tokens.refreshToken),
        createdAt: START,
        usedAt: null,
      });
    });

    it('answers INVALID_CREDENTIALS for a wrong password', async () => {
      hasher.verify.mockResolvedValueOnce(false);

      const error = await rejection(sut.login({ username: 'ada', password: 'wrong' }));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect(dataSource.transaction).not.toHaveBeenCalled();
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
      expect(dataSource.transaction).not.toHaveBeenCalled();
    });

    it('refuses an unknown username even if the hasher were to say yes', async () => {
      usersService.findByUsername.mockResolvedValueOnce(null);

      const error = await rejection(sut.login({ username: 'nobody', password: 'whatever' }));

      expect(error.getResponse()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    });
  });

  describe('authenticate', () => {
    it('returns who is calling for a valid token', async () => {
      const token = await signIn();

      await expect(sut.authenticate(token)).resolves.toEqual({ id: USER_ID, role: 'user', sessionId: SESSION_ID });
      expect(pool.query).toHaveBeenCalledWith(expect.objectContaining({ name: 'auth_session_check', values: [SESSION_ID, USER_ID] }));
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
      expect(pool.query).not.toHaveBeenCalled();
    });

    it("answers INVALID_TOKEN for an unsigned token with alg 'none'", async () => {
      const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(accessPayload())}.`;

      const error = await rejection(sut.authenticate(unsigned));

      expect(error.getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
      expect(pool.query).not.toHaveBeenCalled();
    });

    it('answers INVALID_TOKEN for something that is not a JWT', async () => {
      expect((await rejection(sut.authenticate('not-a-jwt'))).getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
    });

    it("answers INVALID_TOKEN for a correctly signed token whose typ is not 'access'", async () => {
      const refreshLike = jwt.sign(accessPayload({ typ: 'refresh' }));

      const error = await rejection(sut.authenticate(refreshLike));

      expect(error.getResponse()).toMatchObject({ code: 'INVALID_TOKEN' });
      expect(pool.query).not.toHaveBeenCalled();
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
      expect(pool.query).not.toHaveBeenCalled();
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
      pool.query.mockResolvedValueOnce({ rows: [fakeSessionRow(session)] });

      const error = await rejection(sut.authenticate(token));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'SESSION_REVOKED' });
    });

    it('answers SESSION_REVOKED when the session or its user does not exist', async () => {
      const token = await signIn();
      pool.query.mockResolvedValueOnce({ rows: [] });

      expect((await rejection(sut.authenticate(token))).getResponse()).toMatchObject({ code: 'SESSION_REVOKED' });
    });
  });

  describe('refresh', () => {
    const validRow = (overrides: Partial<RefreshRow> = {}): RefreshRow => ({
      id: 'token-1',
      used_at: null,
      session_id: SESSION_ID,
      user_id: USER_ID,
      expires_at: new Date(START.getTime() + DAY_MS),
      revoked_at: null,
      ...overrides,
    });

    it('answers REFRESH_TOKEN_MISSING without touching the database when no token is sent', async () => {
      for (const missing of [undefined, '']) {
        const error = await rejection(sut.refresh(missing));

        expect(error).toBeInstanceOf(UnauthorizedException);
        expect(error.getResponse()).toMatchObject({ code: 'REFRESH_TOKEN_MISSING' });
      }
      expect(dataSource.transaction).not.toHaveBeenCalled();
    });

    it('looks the token up by its SHA-256 and answers INVALID_REFRESH_TOKEN when unknown', async () => {
      const error = await rejection(sut.refresh('unknown-token'));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      expect(manager.query).toHaveBeenCalledWith(expect.stringContaining('FOR UPDATE'), [sha256('unknown-token')]);
      expect(manager.update).not.toHaveBeenCalled();
    });

    it('revokes the whole session and answers REFRESH_TOKEN_REUSED when a used token comes back', async () => {
      manager.query.mockResolvedValueOnce([validRow({ used_at: new Date(START.getTime() - 60_000) })]);

      const error = await rejection(sut.refresh('stolen-token'));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      expect(manager.update).toHaveBeenCalledTimes(1);
      expect(manager.update).toHaveBeenCalledWith(Session, { id: SESSION_ID }, { revokedAt: START });
      expect(manager.insert).not.toHaveBeenCalled();
      expect(realtime.endSessions).toHaveBeenCalledWith([SESSION_ID]);
    });

    it('answers SESSION_EXPIRED and rotates nothing when the session has expired', async () => {
      manager.query.mockResolvedValueOnce([validRow({ expires_at: START })]);

      const error = await rejection(sut.refresh('old-token'));

      expect(error.getResponse()).toMatchObject({ code: 'SESSION_EXPIRED' });
      expect(manager.update).not.toHaveBeenCalled();
      expect(manager.insert).not.toHaveBeenCalled();
    });

    it('answers SESSION_REVOKED for a token of a signed-out session', async () => {
      manager.query.mockResolvedValueOnce([validRow({ revoked_at: START })]);

      expect((await rejection(sut.refresh('token'))).getResponse()).toMatchObject({ code: 'SESSION_REVOKED' });
      expect(manager.insert).not.toHaveBeenCalled();
      expect(realtime.endSessions).not.toHaveBeenCalled();
    });

    it('marks the token used, stores a new one and issues tokens for the same session', async () => {
      manager.query.mockResolvedValueOnce([validRow()]);

      const tokens = await sut.refresh('current-token');

      expect(manager.update).toHaveBeenCalledWith(RefreshToken, { id: 'token-1' }, { usedAt: START });
      expect(manager.insert).toHaveBeenCalledWith(
        RefreshToken,
        expect.objectContaining({ sessionId: SESSION_ID, tokenHash: sha256(tokens.refreshToken) }),
      );
      expect(tokens.refreshToken).not.toBe('current-token');
      expect(tokens.sessionExpiresAt).toEqual(new Date(START.getTime() + DAY_MS));
      expect(usersService.getById).toHaveBeenCalledWith(USER_ID);
      await expect(sut.authenticate(tokens.accessToken)).resolves.toEqual({ id: USER_ID, role: 'user', sessionId: SESSION_ID });
    });
  });

  describe('logout', () => {
    it('answers REFRESH_TOKEN_MISSING when neither token is sent', async () => {
      const error = await rejection(sut.logout(undefined, undefined));

      expect(error.getResponse()).toMatchObject({ code: 'REFRESH_TOKEN_MISSING' });
      expect(sessions.update).not.toHaveBeenCalled();
    });

    it('revokes the session the refresh token belongs to', async () => {
      refreshTokens.findOneBy.mockResolvedValueOnce({ sessionId: 'session-9' } as RefreshToken);

      await sut.logout('refresh-token', undefined);

      expect(refreshTokens.findOneBy).toHaveBeenCalledWith({ tokenHash: sha256('refresh-token') });
      expect(sessions.update).toHaveBeenCalledWith({ id: 'session-9', revokedAt: IsNull() }, { revokedAt: START });
      expect(realtime.endSessions).toHaveBeenCalledWith(['session-9']);
    });

    it("revokes the caller's session and ignores an unknown refresh token", async () => {
      await sut.logout('unknown', { id: USER_ID, role: 'user', sessionId: SESSION_ID });

      expect(sessions.update).toHaveBeenCalledTimes(1);
      expect(sessions.update).toHaveBeenCalledWith({ id: SESSION_ID, revokedAt: IsNull() }, { revokedAt: START });
      expect(realtime.endSessions).toHaveBeenCalledWith([SESSION_ID]);
    });
  });

  describe('changePassword', () => {
    const caller = { id: USER_ID, role: 'user' as const, sessionId: SESSION_ID };

    it('answers WRONG_PASSWORD and writes nothing when the current password is wrong', async () => {
      hasher.verify.mockResolvedValueOnce(false);

      const error = await rejection(sut.changePassword(caller, { currentPassword: 'wrong', newPassword: 'new password 1' }));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.getResponse()).toMatchObject({ code: 'WRONG_PASSWORD' });
      expect(hasher.verify).toHaveBeenCalledWith('$argon2id$stored', 'wrong');
      expect(hasher.hash).not.toHaveBeenCalled();
      expect(dataSource.transaction).not.toHaveBeenCalled();
      expect(usersService.setPassword).not.toHaveBeenCalled();
      expect(manager.update).not.toHaveBeenCalled();
      expect(manager.save).not.toHaveBeenCalled();
      expect(realtime.endUserSessions).not.toHaveBeenCalled();
    });

    it('stores the new hash, ends every session of the user and issues tokens carrying the new token version', async () => {
      usersService.getById.mockResolvedValueOnce(aUser()).mockResolvedValueOnce(aUser({ tokenVersion: 1 }));

      const tokens = await sut.changePassword(caller, { currentPassword: 'right password', newPassword: 'new password 1' });

      expect(hasher.hash).toHaveBeenCalledWith('new password 1');
      expect(usersService.setPassword).toHaveBeenCalledWith(USER_ID, '$argon2id$new', manager);
      expect(manager.update).toHaveBeenCalledWith(Session, { userId: USER_ID, revokedAt: IsNull() }, { revokedAt: START });
      expect(manager.save).toHaveBeenCalledWith(expect.objectContaining({ userId: USER_ID, revokedAt: null }));
      expect(jwt.decode(tokens.accessToken)).toMatchObject({ sub: USER_ID, ver: 1 });
      // Every socket of the user closes, except those of the session that was just started.
      expect(realtime.endUserSessions).toHaveBeenCalledWith(USER_ID, SESSION_ID);
    });
  });
});
