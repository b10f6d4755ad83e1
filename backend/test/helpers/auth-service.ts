import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { MemoryRateLimitStore } from '../../src/common/rate-limit-store.js';
import { RateLimiter } from '../../src/common/rate-limit.guard.js';
import { JwtService } from '@nestjs/jwt';
import { createHash } from 'node:crypto';
import { AuthService } from '../../src/auth/auth.service.js';
import { PasswordHasher } from '../../src/auth/password-hasher.js';
import { SessionLifecycleService } from '../../src/auth/session-lifecycle.service.js';
import { SessionsRepository } from '../../src/auth/sessions.repository.js';
import { Clock } from '../../src/common/clock.js';
import { AppConfig } from '../../src/config/app-config.js';
import { Transactions } from '../../src/database/transaction.js';
import { RealtimeService } from '../../src/realtime/realtime.service.js';
import { User } from '../../src/users/user.entity.js';
import { UsersService } from '../../src/users/users.service.js';
import { FakeClock } from './fake-clock.js';
import { asRealtime, fakeRealtime } from './fake-realtime.js';
import { automock, fakeTransactions, newTestService } from './new-test-service.js';

// Token claims are UUIDs, as the database makes them; anything else is not a token this server issued.
export const USER_ID = '6f1c7f52-3c1e-4f0e-9a57-0b3c2a1d4e5f';
export const SESSION_ID = '0d9e8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b';

const SECRET = 'unit-test-jwt-secret-at-least-32-characters';
export const START = new Date('2030-01-01T00:00:00Z');
export const DAY_MS = 86_400_000;

export function aUser(overrides: Partial<User> = {}): User {
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

/** A session as the database holds it, for the fake of `valid_session`. */
export interface SessionState {
  expires_at: Date;
  revoked_at: Date | null;
  role: 'user' | 'admin';
  token_version: number;
}

export const aSession = (overrides: Partial<SessionState> = {}): SessionState => ({
  expires_at: new Date(START.getTime() + 30 * DAY_MS),
  revoked_at: null,
  role: 'user',
  token_version: 0,
  ...overrides,
});

export const sha256 = (token: string) => createHash('sha256').update(token).digest();
export const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * AuthService as `sut` with its repository and the services it calls mocked (its SessionLifecycleService
 * is real, on the same mocked repository, so the sessions-ended hooks run as they do in the app). `session` is the one
 * session the database holds; `validRole` answers for it as `valid_session` does (open, not expired,
 * same token version), or for no session when `session` is null.
 */
export function newAuthService() {
  const clock = new FakeClock(START);
  const jwt = new JwtService({ secret: SECRET, signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } });
  const transactions = fakeTransactions();
  const realtime = fakeRealtime();
  const sessions = automock(SessionsRepository);
  const lifecycle = new SessionLifecycleService(sessions as unknown as SessionsRepository, transactions as unknown as Transactions, clock, asRealtime(realtime));
  const built = newTestService(AuthService, [
    [SessionsRepository, sessions],
    [SessionLifecycleService, lifecycle],
    [Clock, clock],
    [JwtService, jwt],
    [AppConfig, new AppConfig()],
    [Transactions, transactions],
    [RealtimeService, asRealtime(realtime)],
    [LoginThrottle, new LoginThrottle(new RateLimiter(new MemoryRateLimitStore(), clock), new AppConfig())],
  ]);
  const state: { session: SessionState | null } = { session: aSession() };
  sessions.validRole.mockImplementation(async (_sessionId, _userId, tokenVersion, now) => {
    const session = state.session;
    const open = session && !session.revoked_at && session.expires_at > now && session.token_version === tokenVersion;
    return open ? session.role : undefined;
  });
  sessions.create.mockResolvedValue(SESSION_ID);
  sessions.addRefreshToken.mockResolvedValue(undefined);
  sessions.lockRefreshToken.mockResolvedValue(undefined);
  sessions.revoke.mockResolvedValue([]);
  sessions.revokeOthersOfUser.mockResolvedValue([]);
  sessions.dropRefreshTokens.mockResolvedValue(new Date('2027-01-01T00:00:00Z'));
  sessions.markTokenUsed.mockResolvedValue(undefined);
  sessions.sessionIdOfToken.mockResolvedValue(undefined);
  const usersService = built.mock(UsersService);
  usersService.findByUsername.mockResolvedValue(aUser());
  usersService.getById.mockResolvedValue(aUser());
  usersService.create.mockResolvedValue(aUser());
  usersService.setPassword.mockResolvedValue(undefined);
  const hasher = built.mock(PasswordHasher);
  hasher.hash.mockResolvedValue('$argon2id$new');
  hasher.verify.mockResolvedValue(true);
  return { sut: built.sut, clock, jwt, transactions, realtime, state, sessions, lifecycle, usersService, hasher };
}
