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
import { PasswordHasher } from './password-hasher.js';
import { type EndedSessionRow, type ExportedSession, SessionsRepository } from './sessions.repository.js';

export type { ExportedSession } from './sessions.repository.js';

/**
 * Runs inside the transaction that ends these sessions (sign-out, a revoked token family, a password
 * change, expiry), so what another module keeps per session goes with it; answers what to run after
 * the commit. Registered by that module when it starts (e2ee), so auth imports none of them.
 */
export type SessionsEndedHook = (tx: Tx, ended: EndedSessionRow[]) => Promise<() => void>;

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

interface StartedSession {
  sessionId: string;
  refreshToken: string;
  expiresAt: Date;
}

type RefreshOutcome =
  | { kind: 'rotated'; userId: string; session: StartedSession }
  | { kind: 'rejected'; code: AuthErrorCode; message: string; revokedSessionId?: string; afterCommit?: () => void };

const DAY_MS = 86_400_000;

// Rotated tokens are kept this long so a replay revokes the session; an older replay is simply refused.
const USED_TOKEN_RETENTION_MS = 7 * DAY_MS;

/** A value PostgreSQL's integer column takes, as users.token_version is. */
const isInt32 = (value: unknown): value is number => Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1;

@Injectable()
export class AuthService {
  private readonly sessionsEndedHooks: SessionsEndedHook[] = [];

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly transactions: Transactions,
    private readonly usersService: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
  ) {}

  async register(dto: RegisterDto): Promise<IssuedTokens> {
    const passwordHash = await this.hasher.hash(dto.password);
    const { user, session } = await this.transactions.run(async (tx) => {
      const created = await this.usersService.create({ username: dto.username, displayName: dto.displayName, passwordHash }, tx);
      return { user: created, session: await this.startSession(created.id, tx) };
    });
    return this.issue(user, session);
  }

  async login(dto: LoginDto): Promise<IssuedTokens> {
    const user = await this.usersService.findByUsername(dto.username);
    const valid = await this.hasher.verify(user?.passwordHash, dto.password);
    // Same answer, after the same work, whether the username exists or not.
    if (!user || !valid) throw unauthorized('INVALID_CREDENTIALS', 'Wrong username or password');
    const session = await this.transactions.run((tx) => this.startSession(user.id, tx));
    return this.issue(user, session);
  }

  /**
   * A sign-in that no password opens: the process acting for a user (the seed signs devices in to write
   * encrypted messages). No route leads here.
   */
  async signInAsProcess(userId: string): Promise<IssuedTokens> {
    const user = await this.usersService.getById(userId);
    const session = await this.transactions.run((tx) => this.startSession(user.id, tx));
    return this.issue(user, session);
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
          afterCommit: await this.sessionsEnded(tx, ended),
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
      return this.sessionsEnded(tx, ended);
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
    if (!(await this.hasher.verify(user.passwordHash, dto.currentPassword))) {
      throw wrongPassword();
    }
    const passwordHash = await this.hasher.hash(dto.newPassword);
    const { session, afterCommit } = await this.transactions.run(async (tx) => {
      const now = this.clock.now();
      await this.usersService.setPassword(user.id, passwordHash, tx);
      const ended = await this.sessions.revokeOthersOfUser(tx, user.id, caller.sessionId, now);
      const expiresAt = await this.sessions.dropRefreshTokens(tx, caller.sessionId);
      const refreshToken = await this.addRefreshToken(caller.sessionId, now, tx);
      return { afterCommit: await this.sessionsEnded(tx, ended), session: { sessionId: caller.sessionId, refreshToken, expiresAt } };
    });
    this.realtime.endUserSessions(user.id, session.sessionId);
    afterCommit();
    return this.issue(await this.usersService.getById(user.id), session);
  }

  /** Deletes ended sessions (with their tokens) and long-rotated tokens; safe to run on every instance at once. */
  async deleteEndedSessions(): Promise<{ sessions: number; refreshTokens: number }> {
    const now = this.clock.now();
    const { deleted, afterCommit } = await this.transactions.run(async (tx) => {
      const afterCommit = await this.sessionsEnded(tx, await this.sessions.expiredUnended(tx, now));
      return { afterCommit, deleted: await this.sessions.deleteEnded(tx, now, new Date(now.getTime() - USED_TOKEN_RETENTION_MS)) };
    });
    afterCommit();
    return deleted;
  }

  /** Registers what must happen, inside the same transaction, when sessions end (see SessionsEndedHook). */
  onSessionsEnded(hook: SessionsEndedHook): void {
    this.sessionsEndedHooks.push(hook);
  }

  /** Who is calling: a valid access token of an open session whose token version is still the user's. */
  async authenticate(accessToken: string): Promise<AuthUser> {
    const claims = await this.verifyAccessToken(accessToken);
    const role = await this.sessions.validRole(claims.sessionId, claims.userId, claims.tokenVersion, this.clock.now());
    if (!role) throw sessionRevoked();
    return { id: claims.userId, role, sessionId: claims.sessionId };
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

  /** Those of `sessionIds` that are still open (not ended, not expired). */
  async openSessionIds(sessionIds: string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    return new Set(await this.sessions.openIds(sessionIds, this.clock.now()));
  }

  /**
   * Inside a transaction that adds something per session (E2EE device keys): whether the session is
   * still open. Take the lock the sessions-ended hook takes first, so that a sign-out either is seen
   * here or runs its hook after this transaction commits.
   */
  isSessionOpen(tx: Tx, sessionId: string): Promise<boolean> {
    return this.sessions.isOpen(tx, sessionId, this.clock.now());
  }

  /** For an erasure, inside its transaction: how many sessions the user has. */
  erasureCount(tx: Tx, userId: string): Promise<number> {
    return this.sessions.countOfUser(tx, userId);
  }

  /** Every sign-in of the user, revoked and expired ones too, for an export; never a token or its hash. */
  exportSessions(userId: string): Promise<ExportedSession[]> {
    return this.sessions.exportOfUser(userId);
  }

  private async sessionsEnded(tx: Tx, ended: EndedSessionRow[]): Promise<() => void> {
    if (ended.length === 0) return () => undefined;
    const after: (() => void)[] = [];
    for (const hook of this.sessionsEndedHooks) after.push(await hook(tx, ended));
    return () => after.forEach((run) => run());
  }

  private async startSession(userId: string, tx: Tx): Promise<StartedSession> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS);
    const sessionId = await this.sessions.create(tx, { userId, createdAt: now, expiresAt });
    return { sessionId, refreshToken: await this.addRefreshToken(sessionId, now, tx), expiresAt };
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
