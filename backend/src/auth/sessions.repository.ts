import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not } from 'typeorm';
import type { Role } from '../common/current-user.decorator.js';
import { prepared, runPrepared } from '../database/prepared.js';
import { managerFor, managerOf, type Tx } from '../database/transaction.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';

/** Every authenticated request runs this, so it is a prepared statement (database/prepared.ts); the rule is `valid_session`. */
export const SESSION_CHECK = prepared('auth_session_check', `SELECT role FROM valid_session($1, $2, $3, $4)`);

export interface RefreshRow {
  id: string;
  used_at: Date | null;
  session_id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

/** A session that a call ended. */
export interface EndedSessionRow {
  sessionId: string;
  userId: string;
}

/** An open session as its owner's list shows it. */
export interface OpenSessionRow {
  id: string;
  deviceName: string;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
}

export interface ExportedSession {
  id: string;
  deviceName: string;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** Sessions and their refresh tokens. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The user's role if the session is open at `now` for this user and token version; undefined otherwise. */
  async validRole(sessionId: string, userId: string, tokenVersion: number, now: Date): Promise<Role | undefined> {
    const [row] = await runPrepared<{ role: Role }>(this.dataSource.manager, SESSION_CHECK, [sessionId, userId, tokenVersion, now]);
    return row?.role;
  }

  async create(tx: Tx, fields: { userId: string; createdAt: Date; expiresAt: Date; deviceName: string; ip: string | null; mfaAt: Date | null }): Promise<string> {
    const manager = managerOf(tx);
    const session = await manager.save(manager.create(Session, { ...fields, lastUsedAt: fields.createdAt, revokedAt: null }));
    return session.id;
  }

  /** Records that the session proved a second factor now (see Session.mfaAt). */
  async markSecondFactor(tx: Tx, sessionId: string, now: Date): Promise<void> {
    await managerOf(tx).update(Session, { id: sessionId }, { mfaAt: now });
  }

  /** The second factor was turned off: no session of the user counts as having proved it any more. */
  async clearSecondFactor(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).update(Session, { userId }, { mfaAt: null });
  }

  async passedSecondFactor(sessionId: string): Promise<boolean> {
    return (await this.dataSource.getRepository(Session).countBy({ id: sessionId, mfaAt: Not(IsNull()) })) > 0;
  }

  async addRefreshToken(tx: Tx, sessionId: string, tokenHash: Buffer, createdAt: Date): Promise<void> {
    await managerOf(tx).insert(RefreshToken, { sessionId, tokenHash, createdAt, usedAt: null });
  }

  /** The refresh token with its session, both locked until the transaction ends. */
  async lockRefreshToken(tx: Tx, tokenHash: Buffer): Promise<RefreshRow | undefined> {
    const [row]: RefreshRow[] = await managerOf(tx).query(
      `SELECT t.id, t.used_at, s.id AS session_id, s.user_id, s.expires_at, s.revoked_at
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
        WHERE t.token_hash = $1
          FOR UPDATE OF t, s`,
      [tokenHash],
    );
    return row;
  }

  async markTokenUsed(tx: Tx, tokenId: string, sessionId: string, now: Date): Promise<void> {
    const manager = managerOf(tx);
    await manager.update(RefreshToken, { id: tokenId }, { usedAt: now });
    await manager.update(Session, { id: sessionId }, { lastUsedAt: now });
  }

  async sessionIdOfToken(tokenHash: Buffer): Promise<string | undefined> {
    return (await this.dataSource.getRepository(RefreshToken).findOneBy({ tokenHash }))?.sessionId;
  }

  /** Ends the session; `onlyOpen` leaves one already ended as it was. Answers the session it ended, if any. */
  async revoke(sessionId: string, now: Date, { onlyOpen, tx }: { onlyOpen: boolean; tx?: Tx }): Promise<EndedSessionRow[]> {
    const [rows]: [EndedSessionRow[], number] = await managerFor(this.dataSource, tx).query(
      `UPDATE sessions SET revoked_at = $2 WHERE id = $1 ${onlyOpen ? 'AND revoked_at IS NULL' : ''} RETURNING id AS "sessionId", user_id AS "userId"`,
      [sessionId, now],
    );
    return rows;
  }

  /** The user's sessions open at `now`, the most recently active first. */
  openOfUser(userId: string, now: Date): Promise<OpenSessionRow[]> {
    return this.dataSource.query(
      `SELECT id, device_name AS "deviceName", ip, created_at AS "createdAt", last_used_at AS "lastUsedAt"
         FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
        ORDER BY last_used_at DESC, id`,
      [userId, now],
    );
  }

  /** Ends the session if it is an open one of this user; answers it, or nothing. */
  async revokeOfUser(tx: Tx, userId: string, sessionId: string, now: Date): Promise<EndedSessionRow[]> {
    const [rows]: [EndedSessionRow[], number] = await managerOf(tx).query(
      `UPDATE sessions SET revoked_at = $3 WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL AND expires_at > $3
       RETURNING id AS "sessionId", user_id AS "userId"`,
      [userId, sessionId, now],
    );
    return rows;
  }

  /** Ends every open session of the user but `keepSessionId`; answers them. */
  async revokeOthersOfUser(tx: Tx, userId: string, keepSessionId: string, now: Date): Promise<EndedSessionRow[]> {
    const [rows]: [EndedSessionRow[], number] = await managerOf(tx).query(
      `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND id <> $3 AND revoked_at IS NULL RETURNING id AS "sessionId", user_id AS "userId"`,
      [userId, now, keepSessionId],
    );
    return rows;
  }

  /** Forgets every refresh token of the session (an old one is then unknown, not a replay), and answers its expiry. */
  async dropRefreshTokens(tx: Tx, sessionId: string): Promise<Date> {
    await managerOf(tx).query(`DELETE FROM refresh_tokens WHERE session_id = $1`, [sessionId]);
    const [row]: { expires_at: Date }[] = await managerOf(tx).query(`SELECT expires_at FROM sessions WHERE id = $1`, [sessionId]);
    return row.expires_at;
  }

  /** Sessions that expired at `now` without being ended: nobody was told yet that they are over. */
  expiredUnended(tx: Tx, now: Date): Promise<EndedSessionRow[]> {
    return managerOf(tx).query(`SELECT id AS "sessionId", user_id AS "userId" FROM sessions WHERE expires_at <= $1 AND revoked_at IS NULL`, [now]);
  }

  /** Deletes sessions ended or expired at `now` (with their tokens) and tokens used until `usedBefore`. */
  async deleteEnded(tx: Tx, now: Date, usedBefore: Date): Promise<{ sessions: number; refreshTokens: number }> {
    const sessions = await managerOf(tx)
      .createQueryBuilder()
      .delete()
      .from(Session)
      .where('expires_at <= :now OR revoked_at IS NOT NULL', { now })
      .execute();
    const refreshTokens = await managerOf(tx).createQueryBuilder().delete().from(RefreshToken).where('used_at <= :before', { before: usedBefore }).execute();
    return { sessions: sessions.affected ?? 0, refreshTokens: refreshTokens.affected ?? 0 };
  }

  /** Whether the session is open at `now`, as the transaction sees it. */
  async isOpen(tx: Tx, sessionId: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await managerOf(tx).query(`SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2`, [sessionId, now]);
    return rows.length > 0;
  }

  /**
   * The socket check asks this about every session with a socket on the instance, thousands at a time:
   * one array parameter and plain rows, where an `In(...)` would build and bind one parameter per id and
   * hydrate an entity per row, all on the event loop that delivers messages.
   */
  async openIds(sessionIds: string[], now: Date): Promise<string[]> {
    const open: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM sessions WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL AND expires_at > $2`,
      [sessionIds, now],
    );
    return open.map((session) => session.id);
  }

  async countOfUser(tx: Tx, userId: string): Promise<number> {
    const [row]: { count: string }[] = await managerOf(tx).query(`SELECT count(*) FROM sessions WHERE user_id = $1`, [userId]);
    return Number(row.count);
  }

  /** Every session of the user, revoked and expired ones too; never a token or its hash. */
  exportOfUser(userId: string): Promise<ExportedSession[]> {
    return this.dataSource.query(
      `SELECT id, device_name AS "deviceName", ip, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"
         FROM sessions WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
  }
}
