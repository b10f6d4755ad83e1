import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager, In, IsNull, MoreThan } from 'typeorm';
import { Clock } from '../common/clock.js';
import type { AuthUser, TokenClaims } from '../common/current-user.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { isUuid } from '../common/parse-id.pipe.js';
import { prepared, runPrepared } from '../database/prepared.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { PasswordHasher } from './password-hasher.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';

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
  | { kind: 'rejected'; code: string; message: string; revokedSessionId?: string };

const DAY_MS = 86_400_000;
/** Every authenticated request runs this, so it is a prepared statement (database/prepared.ts). */
export const SESSION_CHECK = prepared(
  'auth_session_check',
  `SELECT s.expires_at, s.revoked_at, u.role, u.token_version
     FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = $1 AND s.user_id = $2`,
);

interface SessionCheckRow {
  expires_at: Date;
  revoked_at: Date | null;
  role: AuthUser['role'];
  token_version: number;
}

// Rotated tokens are kept this long so a replay revokes the session; an older replay is simply refused.
const USED_TOKEN_RETENTION_MS = 7 * DAY_MS;

const unauthorized = (code: string, message: string) => new UnauthorizedException({ code, message });
/** A value PostgreSQL's integer column takes, as users.token_version is. */
const isInt32 = (value: unknown): value is number => Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1;
export const sessionRevoked = () => unauthorized('SESSION_REVOKED', 'This session has ended; sign in again');

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly usersService: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
  ) {}

  async register(dto: RegisterDto): Promise<IssuedTokens> {
    const passwordHash = await this.hasher.hash(dto.password);
    const { user, session } = await this.dataSource.transaction(async (manager) => {
      const created = await this.usersService.create(
        { username: dto.username, displayName: dto.displayName, passwordHash },
        manager,
      );
      return { user: created, session: await this.startSession(created.id, manager) };
    });
    return this.issue(user, session);
  }

  async login(dto: LoginDto): Promise<IssuedTokens> {
    const user = await this.usersService.findByUsername(dto.username);
    const valid = await this.hasher.verify(user?.passwordHash, dto.password);
    // Same answer, after the same work, whether the username exists or not.
    if (!user || !valid) throw unauthorized('INVALID_CREDENTIALS', 'Wrong username or password');
    const session = await this.dataSource.transaction((manager) => this.startSession(user.id, manager));
    return this.issue(user, session);
  }

  /**
   * Rotates a refresh token. A token that was already used means it leaked (or two clients raced):
   * the whole session is revoked, so the thief's and the victim's newer tokens both stop working.
   */
  async refresh(refreshToken: string | undefined): Promise<IssuedTokens> {
    if (!refreshToken) throw unauthorized('REFRESH_TOKEN_MISSING', 'No refresh token was sent');
    const outcome = await this.dataSource.transaction(async (manager): Promise<RefreshOutcome> => {
      const now = this.clock.now();
      const [row]: { id: string; used_at: Date | null; session_id: string; user_id: string; expires_at: Date; revoked_at: Date | null }[] =
        await manager.query(
          `SELECT t.id, t.used_at, s.id AS session_id, s.user_id, s.expires_at, s.revoked_at
             FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
            WHERE t.token_hash = $1
              FOR UPDATE OF t, s`,
          [hashToken(refreshToken)],
        );
      if (!row) return { kind: 'rejected', code: 'INVALID_REFRESH_TOKEN', message: 'The refresh token is not valid' };
      if (row.revoked_at) return { kind: 'rejected', code: 'SESSION_REVOKED', message: 'This session has ended; sign in again' };
      if (row.used_at) {
        await manager.update(Session, { id: row.session_id }, { revokedAt: now });
        return {
          kind: 'rejected',
          code: 'REFRESH_TOKEN_REUSED',
          message: 'This refresh token was already used; the session has been ended',
          revokedSessionId: row.session_id,
        };
      }
      if (row.expires_at <= now) return { kind: 'rejected', code: 'SESSION_EXPIRED', message: 'This session has expired; sign in again' };
      await manager.update(RefreshToken, { id: row.id }, { usedAt: now });
      await manager.update(Session, { id: row.session_id }, { lastUsedAt: now });
      const token = await this.addRefreshToken(row.session_id, now, manager);
      return { kind: 'rotated', userId: row.user_id, session: { sessionId: row.session_id, refreshToken: token, expiresAt: row.expires_at } };
    });
    if (outcome.kind === 'rejected') {
      if (outcome.revokedSessionId) this.realtime.endSessions([outcome.revokedSessionId]);
      throw unauthorized(outcome.code, outcome.message);
    }
    return this.issue(await this.usersService.getById(outcome.userId), outcome.session);
  }

  /** Ends the session a refresh token or access token belongs to; unknown tokens are ignored. */
  async logout(refreshToken: string | undefined, caller: AuthUser | undefined): Promise<void> {
    if (!refreshToken && !caller) throw unauthorized('REFRESH_TOKEN_MISSING', 'Send the refresh token or an access token');
    const sessionIds = caller ? [caller.sessionId] : [];
    if (refreshToken) {
      const token = await this.dataSource.getRepository(RefreshToken).findOneBy({ tokenHash: hashToken(refreshToken) });
      if (token) sessionIds.push(token.sessionId);
    }
    for (const id of sessionIds) {
      await this.dataSource.getRepository(Session).update({ id, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
    }
    this.realtime.endSessions(sessionIds);
  }

  /** Changes the password, ends every session of the user, and starts a new one for the caller. */
  async changePassword(caller: AuthUser, dto: ChangePasswordDto): Promise<IssuedTokens> {
    const user = await this.usersService.getById(caller.id);
    if (!(await this.hasher.verify(user.passwordHash, dto.currentPassword))) {
      throw new ForbiddenException({ code: 'WRONG_PASSWORD', message: 'The current password is wrong' });
    }
    const passwordHash = await this.hasher.hash(dto.newPassword);
    const session = await this.dataSource.transaction(async (manager) => {
      await this.usersService.setPassword(user.id, passwordHash, manager);
      await manager.update(Session, { userId: user.id, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
      return this.startSession(user.id, manager);
    });
    this.realtime.endUserSessions(user.id, session.sessionId);
    return this.issue(await this.usersService.getById(user.id), session);
  }

  /** Deletes ended sessions (with their tokens) and long-rotated tokens; safe to run on every instance at once. */
  async deleteEndedSessions(): Promise<{ sessions: number; refreshTokens: number }> {
    const now = this.clock.now();
    const sessions = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(Session)
      .where('expires_at <= :now OR revoked_at IS NOT NULL', { now })
      .execute();
    const refreshTokens = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(RefreshToken)
      .where('used_at <= :before', { before: new Date(now.getTime() - USED_TOKEN_RETENTION_MS) })
      .execute();
    return { sessions: sessions.affected ?? 0, refreshTokens: refreshTokens.affected ?? 0 };
  }

  /** Checks an access token and that its session and token version are still current. */
  /** Who is calling: a valid access token of an open session. */
  async authenticate(accessToken: string): Promise<AuthUser> {
    const claims = await this.verifyAccessToken(accessToken);
    const [session] = await runPrepared<SessionCheckRow>(this.dataSource.manager, SESSION_CHECK, [claims.sessionId, claims.userId]);
    if (!session || session.revoked_at || session.expires_at <= this.clock.now() || session.token_version !== claims.tokenVersion) {
      throw sessionRevoked();
    }
    return { id: claims.userId, role: session.role, sessionId: claims.sessionId };
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
    const open = await this.dataSource.getRepository(Session).find({
      select: { id: true },
      where: { id: In(sessionIds), revokedAt: IsNull(), expiresAt: MoreThan(this.clock.now()) },
    });
    return new Set(open.map((session) => session.id));
  }

  private async startSession(userId: string, manager: EntityManager): Promise<StartedSession> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS);
    const session = await manager.save(manager.create(Session, { userId, createdAt: now, expiresAt, lastUsedAt: now, revokedAt: null }));
    return { sessionId: session.id, refreshToken: await this.addRefreshToken(session.id, now, manager), expiresAt };
  }

  private async addRefreshToken(sessionId: string, now: Date, manager: EntityManager): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await manager.insert(RefreshToken, { sessionId, tokenHash: hashToken(token), createdAt: now, usedAt: null });
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
