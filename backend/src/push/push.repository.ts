import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerOf, type Tx } from '../database/transaction.js';
import type { PushTarget } from './push-sender.js';

export interface NewPushSubscription extends PushTarget {
  sessionId: string;
  userId: string;
  createdAt: Date;
}

@Injectable()
export class PushRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Makes this the session's one subscription, taking the endpoint from whichever session had it (the
   * browser's previous sign-in). Nothing is stored for a session that is no longer open: the lock waits
   * for a sign-out that is committing and then sees it. One upsert, so two subscribes at once (a double
   * click, two tabs) both succeed instead of one tripping over the other's row.
   */
  async save(tx: Tx, row: NewPushSubscription): Promise<boolean> {
    const manager = managerOf(tx);
    // Serialises the subscribes of one session, so its one-row rule (the primary key) never races either.
    const open: unknown[] = await manager.query(`SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL FOR NO KEY UPDATE`, [
      row.sessionId,
      row.userId,
    ]);
    if (open.length === 0) return false;
    await manager.query(`DELETE FROM push_subscriptions WHERE session_id = $1 AND endpoint <> $2`, [row.sessionId, row.endpoint]);
    await manager.query(
      `INSERT INTO push_subscriptions (session_id, user_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (endpoint) DO UPDATE
         SET session_id = EXCLUDED.session_id, user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, created_at = EXCLUDED.created_at`,
      [row.sessionId, row.userId, row.endpoint, row.p256dh, row.auth, row.createdAt],
    );
    return true;
  }

  /** Deletes the user's subscription with this endpoint; whether there was one. */
  async deleteOfUser(userId: string, endpoint: string): Promise<boolean> {
    const [, deleted]: [unknown[], number] = await this.dataSource.query(`DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2`, [
      userId,
      endpoint,
    ]);
    return deleted > 0;
  }

  /** Forgets a subscription the push service says is gone, unless the browser stored a new one meanwhile. */
  async deleteGone(target: PushTarget): Promise<void> {
    await this.dataSource.query(`DELETE FROM push_subscriptions WHERE endpoint = $1 AND p256dh = $2 AND auth = $3`, [
      target.endpoint,
      target.p256dh,
      target.auth,
    ]);
  }

  async deleteOfSessions(tx: Tx, sessionIds: string[]): Promise<void> {
    await managerOf(tx).query(`DELETE FROM push_subscriptions WHERE session_id = ANY($1::uuid[])`, [sessionIds]);
  }

  exportOfUser(userId: string): Promise<{ endpoint: string; created_at: Date }[]> {
    return this.dataSource.query(`SELECT endpoint, created_at FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at`, [userId]);
  }

  ofUser(userId: string): Promise<PushTarget[]> {
    return this.dataSource.query(`SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at`, [userId]);
  }
}
