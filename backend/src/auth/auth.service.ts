import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes } from 'node:crypto';
import { Clock } from '../common/clock.js';
import type { AuthUser, TokenClaims } from '../common/current-user.decorator.js';
import { isUuid } from '../common/parse-id.pipe.js';
import { AppConfig } from '../config/app-config.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { type AuthErrorCode, sessionRevoked, unauthorized, wrongPassword } from './errors.js';
import { LoginThrottle, passwordSubject } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { type PassedChallenge, type Refusal, TotpService } from './totp.service.js';
import { SessionLifecycleService } from './session-lifecycle.service.js';
import { type EndedSessionRow, SessionsRepository } from './sessions.repository.js';

/** What a successful sign-in, refresh or password change hands to the client. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  sessionExpiresAt: Date;
  user: User;
}

interface AccessTokenPayload {
  sub: string;
  sid: string;
  ver: number;
  typ: 'access';
  iat?: number;
  exp?: number;
}

/** How far in the future an access token's `iat` may lie: the clock skew tolerated between instances. */
const ISSUED_AT_LEEWAY_SECONDS = 30;

/** Where a sign-in comes from, as its session remembers it. */
export interface SignInOrigin {
  deviceName: string;
  ip: string | null;
}

/** A right password when a second factor is on: `POST /api/auth/login/mfa` takes it from here. */
export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
}

const UNKNOWN_ORIGIN: SignInOrigin = { deviceName: 'Unknown device', ip: null };

interface StartedSession {
  sessionId: string;
  refreshToken: string;
  expiresAt: Date;
}

interface NewSession extends StartedSession {
  createdAt: Date;
  origin: SignInOrigin;
}

type RefreshOutcome =
  | { kind: 'rotated'; userId: string; session: StartedSession }
  | { kind: 'rejected'; code: AuthErrorCode; message: string; revokedSessionId?: string; afterCommit?: () => void };

const DAY_MS = 86_400_000;

/** A value PostgreSQL's integer column takes, as users.token_version is. */
const isInt32 = (value: unknown): value is number => Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1;

@Injectable()
export class AuthService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly transactions: Transactions,
    private readonly usersService: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
    private readonly loginThrottle: LoginThrottle,
    private readonly totp: TotpService,
    private readonly lifecycle: SessionLifecycleService,
  ) {}

  async register(dto: RegisterDto, origin = UNKNOWN_ORIGIN): Promise<IssuedTokens> {
    const passwordHash = await this.hasher.hash(dto.password);
    const { user, session } = await this.transactions.run(async (tx) => {
      const created = await this.usersService.create({ username: dto.username, displayName: dto.displayName, passwordHash }, tx);
      return { user: created, session: await this.startSession(created.id, origin, tx) };
    });
    return this.issue(user, session);
  }

  /** With two-factor authentication on, a right password answers a challenge for the second step instead of tokens. */
  async login(dto: LoginDto, origin = UNKNOWN_ORIGIN): Promise<IssuedTokens | MfaChallenge> {
    const user = await this.usersService.findByUsername(dto.username);
    // Same answer, after the same work, whether the username exists or not.
    const valid = await this.loginThrottle.attempt(passwordSubject(dto.username), async () => (await this.hasher.verify(user?.passwordHash, dto.password)) && !!user);
    if (!user || !valid) throw unauthorized('INVALID_CREDENTIALS', 'Wrong username or password');
    if (await this.totp.isEnabled(user.id)) return { mfaRequired: true, mfaToken: await this.totp.startChallenge(user.id, origin) };
    return this.signIn(user, origin);
  }

  /** The second step of a sign-in: the challenge's token and a TOTP or recovery code. */
  async loginMfa(mfaToken: string, code: string): Promise<IssuedTokens> {
    // The session starts in the transaction that spends the code: a sign-in that fails keeps its code.
    const { user, session } = await this.totp.passChallenge(mfaToken, code, (tx, passed) => this.startSecondFactorSession(tx, passed));
    this.announce(user.id, session);
    return this.issue(user, session);
  }

  /** The second step with a passkey instead of a code: `check` verifies it inside the step's transaction. */
  async loginMfaWithPasskey(mfaToken: string, check: (tx: Tx, userId: string) => Promise<Refusal | null>): Promise<IssuedTokens> {
    const { user, session } = await this.totp.passChallengeWith(mfaToken, check, (tx, passed) => this.startSecondFactorSession(tx, passed));
    this.announce(user.id, session);
    return this.issue(user, session);
  }

  /**
   * A sign-in with a passkey alone: the usual session and tokens. No
   * password was typed, so the per-account password lock does not apply (the route keeps its per-IP limit).
   */
  async signInWithPasskey(userId: string, origin: SignInOrigin): Promise<IssuedTokens> {
    // A passkey verifies its user (required user verification): the session proved two factors.
    const { user, session } = await this.transactions.run((tx) => this.startSecondFactorSession(tx, { userId, origin }));
    this.announce(user.id, session);
    return this.issue(user, session);
  }

  /** A session that proved a second factor now (see Session.mfaAt), in the step's transaction. */
  private async startSecondFactorSession(tx: Tx, passed: PassedChallenge): Promise<{ user: User; session: NewSession }> {
    const user = await this.usersService.getById(passed.userId, tx);
    return { user, session: await this.startSession(user.id, passed.origin, tx, this.clock.now()) };
  }

  /**
   * A sign-in that no password opens: the process acting for a user (the seed signs devices in to write
   * encrypted messages). No route leads here.
   */
  async signInAsProcess(userId: string): Promise<IssuedTokens> {
    return this.signIn(await this.usersService.getById(userId), { deviceName: 'Iris seed', ip: null });
  }

  /**
   * Rotates a refresh token. A token that was already used means it leaked (or two clients raced):
   * the whole session is revoked, so the thief's and the victim's newer tokens both stop working.
   */
  async refresh(refreshToken: string | undefined): Promise<IssuedTokens> {
    if (!refreshToken) throw unauthorized('REFRESH_TOKEN_MISSING', 'No refresh token was sent');
    const outcome = await this.transactions.run(async (tx): Promise<RefreshOutcome> => {
      const now = this.clock.now();
      const row = await this.sessions.lockRefreshToken(tx, hashToken(refreshToken));
      if (!row) return { kind: 'rejected', code: 'INVALID_REFRESH_TOKEN', message: 'The refresh token is not valid' };
      if (row.revoked_at) return { kind: 'rejected', code: 'SESSION_REVOKED', message: 'This session has ended; sign in again' };
      if (row.used_at) {
        const ended = await this.sessions.revoke(row.session_id, now, { onlyOpen: false, tx });
        return {
          kind: 'rejected',
          code: 'REFRESH_TOKEN_REUSED',
          message: 'This refresh token was already used; the session has been ended',
          revokedSessionId: row.session_id,
          afterCommit: await this.lifecycle.sessionsEnded(tx, ended),
        };
      }
      if (row.expires_at <= now) return { kind: 'rejected', code: 'SESSION_EXPIRED', message: 'This session has expired; sign in again' };
      await this.sessions.markTokenUsed(tx, row.id, row.session_id, now);
      const token = await this.addRefreshToken(row.session_id, now, tx);
      return { kind: 'rotated', userId: row.user_id, session: { sessionId: row.session_id, refreshToken: token, expiresAt: row.expires_at } };
    });
    if (outcome.kind === 'rejected') {
      if (outcome.revokedSessionId) this.realtime.endSessions([outcome.revokedSessionId]);
      outcome.afterCommit?.();
      throw unauthorized(outcome.code, outcome.message);
    }
    return this.issue(await this.usersService.getById(outcome.userId), outcome.session);
  }

  /** Ends the session a refresh token or access token belongs to; unknown tokens are ignored. */
  async logout(refreshToken: string | undefined, caller: AuthUser | undefined): Promise<void> {
    if (!refreshToken && !caller) throw unauthorized('REFRESH_TOKEN_MISSING', 'Send the refresh token or an access token');
    const sessionIds = caller ? [caller.sessionId] : [];
    if (refreshToken) {
      const sessionId = await this.sessions.sessionIdOfToken(hashToken(refreshToken));
      if (sessionId) sessionIds.push(sessionId);
    }
    const afterCommit = await this.transactions.run(async (tx) => {
      const ended: EndedSessionRow[] = [];
      for (const id of new Set(sessionIds)) ended.push(...(await this.sessions.revoke(id, this.clock.now(), { onlyOpen: true, tx })));
      return this.lifecycle.sessionsEnded(tx, ended);
    });
    this.realtime.endSessions(sessionIds);
    afterCommit();
  }

  /**
   * Changes the password and ends every other session of the user. The caller's session stays, so
   * its E2EE device (its keys, and the history they read) stays too; its old tokens do not: the token
   * version moves on and its refresh tokens are replaced.
   */
  async changePassword(caller: AuthUser, dto: ChangePasswordDto): Promise<IssuedTokens> {
    const user = await this.usersService.getById(caller.id);
    // A stolen session guessing the password counts against the account as a sign-in would.
    if (!(await this.loginThrottle.attempt(passwordSubject(user.username), () => this.hasher.verify(user.passwordHash, dto.currentPassword)))) {
      throw wrongPassword();
    }
    const passwordHash = await this.hasher.hash(dto.newPassword);
    const { session, afterCommit } = await this.transactions.run(async (tx) => {
      const now = this.clock.now();
      await this.usersService.setPassword(user.id, passwordHash, tx);
      // A sign-in waiting for its second step was started with the old password.
      await this.totp.dropChallenges(tx, user.id);
      const ended = await this.sessions.revokeOthersOfUser(tx, user.id, caller.sessionId, now);
      const expiresAt = await this.sessions.dropRefreshTokens(tx, caller.sessionId);
      const refreshToken = await this.addRefreshToken(caller.sessionId, now, tx);
      return { afterCommit: await this.lifecycle.sessionsEnded(tx, ended), session: { sessionId: caller.sessionId, refreshToken, expiresAt } };
    });
    this.realtime.endUserSessions(user.id, session.sessionId);
    afterCommit();
    return this.issue(await this.usersService.getById(user.id), session);
  }

  /** Who is calling: a valid access token of an open session whose token version is still the user's. */
  async authenticate(accessToken: string): Promise<AuthUser & Pick<TokenClaims, 'tokenVersion'>> {
    const claims = await this.verifyAccessToken(accessToken);
    const role = await this.sessions.validRole(claims.sessionId, claims.userId, claims.tokenVersion, this.clock.now());
    if (!role) throw sessionRevoked();
    return { id: claims.userId, role, sessionId: claims.sessionId, tokenVersion: claims.tokenVersion };
  }

  /**
   * The claims of a correctly signed, unexpired access token in the shape this server issues; the
   * session is not looked at (see @SessionCheckedByHandler).
   */
  async verifyAccessToken(accessToken: string): Promise<TokenClaims> {
    let payload: AccessTokenPayload;
    try {
      payload = await this.jwt.verifyAsync<AccessTokenPayload>(accessToken, {
        algorithms: ['HS256'],
        clockTimestamp: this.clock.nowSeconds(),
      });
    } catch (error) {
      if ((error as Error).name === 'TokenExpiredError') throw unauthorized('TOKEN_EXPIRED', 'The access token has expired');
      throw unauthorized('INVALID_TOKEN', 'The access token is not valid');
    }
    // jsonwebtoken accepts a token without `exp` (valid forever) or issued in the future; ours always
    // carry both, and ids and a version the database can compare, so anything else was not minted by
    // this server as it is now.
    const issuedInFuture = typeof payload.iat !== 'number' || payload.iat > this.clock.nowSeconds() + ISSUED_AT_LEEWAY_SECONDS;
    if (
      payload.typ !== 'access' ||
      !isUuid(payload.sub) ||
      !isUuid(payload.sid) ||
      !isInt32(payload.ver) ||
      typeof payload.exp !== 'number' ||
      issuedInFuture
    ) {
      throw unauthorized('INVALID_TOKEN', 'The access token is not valid');
    }
    return { userId: payload.sub, sessionId: payload.sid, tokenVersion: payload.ver };
  }

  /** Starts a session and tells the user's other sessions about it. */
  private async signIn(user: User, origin: SignInOrigin): Promise<IssuedTokens> {
    const session = await this.transactions.run((tx) => this.startSession(user.id, origin, tx));
    this.announce(user.id, session);
    return this.issue(user, session);
  }

  private announce(userId: string, session: NewSession): void {
    this.realtime.sessionStarted(userId, { id: session.sessionId, deviceName: session.origin.deviceName, ip: session.origin.ip, createdAt: session.createdAt });
  }

  /** `mfaAt`: when the sign-in passed its second factor (see Session.mfaAt). */
  private async startSession(userId: string, origin: SignInOrigin, tx: Tx, mfaAt: Date | null = null): Promise<NewSession> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS);
    const sessionId = await this.sessions.create(tx, { userId, createdAt: now, expiresAt, deviceName: origin.deviceName, ip: origin.ip, mfaAt });
    return { sessionId, createdAt: now, origin, refreshToken: await this.addRefreshToken(sessionId, now, tx), expiresAt };
  }

  private async addRefreshToken(sessionId: string, now: Date, tx: Tx): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.sessions.addRefreshToken(tx, sessionId, hashToken(token), now);
    return token;
  }

  private issue(user: User, session: StartedSession): IssuedTokens {
    const iat = this.clock.nowSeconds();
    const expiresIn = this.config.JWT_ACCESS_TTL_SECONDS;
    const payload: AccessTokenPayload & { iat: number; exp: number } = {
      sub: user.id,
      sid: session.sessionId,
      ver: user.tokenVersion,
      typ: 'access',
      iat,
      exp: iat + expiresIn,
    };
    return {
      accessToken: this.jwt.sign(payload, { algorithm: 'HS256' }),
      refreshToken: session.refreshToken,
      expiresIn,
      sessionExpiresAt: session.expiresAt,
      user,
    };
  }
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
