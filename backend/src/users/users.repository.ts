import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerFor, managerOf, type Tx } from '../database/transaction.js';
import type { Role } from '../common/current-user.decorator.js';
import { User } from './user.entity.js';

export interface SearchRow {
  id: string;
  username: string;
  display_name: string;
  avatar_id: string | null;
  rank: number;
  score: string;
}

export interface AdminUserRow {
  id: string;
  username: string;
  display_name: string;
  avatar_id: string | null;
  status_message: string;
  role: Role;
  created_at: Date;
  message_count: string;
  attachment_bytes: string;
  last_seen_at: Date | null;
}

@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  create(fields: { username: string; displayName: string; passwordHash: string }, tx?: Tx): Promise<User> {
    const manager = managerFor(this.dataSource, tx);
    return manager.save(manager.create(User, fields));
  }

  findOne(where: { id: string } | { username: string }, tx?: Tx): Promise<User | null> {
    return managerFor(this.dataSource, tx).findOneBy(User, where);
  }

  /** The user unless they blocked `callerId`; the blocks table is the friends module's, read here to keep this one query. */
  findVisible(callerId: string, id: string): Promise<User | null> {
    return this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .where('u.id = :id', { id })
      .andWhere('NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = :callerId)', { callerId })
      .getOne();
  }

  async update(id: string, fields: Partial<Pick<User, 'displayName' | 'statusMessage' | 'role'>>, tx?: Tx): Promise<void> {
    await managerFor(this.dataSource, tx).update(User, { id }, fields);
  }

  /** Inside the caller's transaction: the new picture (or none); the trigger queues the old one's files. Answers the old id. */
  async setAvatar(tx: Tx, id: string, avatarId: string | null): Promise<string | null> {
    const [row]: { avatar_id: string | null }[] = await managerOf(tx).query(`SELECT avatar_id FROM users WHERE id = $1 FOR UPDATE`, [id]);
    await managerOf(tx).query(`UPDATE users SET avatar_id = $2, updated_at = now() WHERE id = $1`, [id, avatarId]);
    return row?.avatar_id ?? null;
  }

  /** The user's picture if `viewerId` may see it (profile_visible; an admin sees every one); null otherwise or when there is none. */
  async visibleAvatar(viewerId: string, ownerId: string, admin: boolean): Promise<string | null> {
    const [row]: { avatar_id: string | null }[] = await this.dataSource.query(
      `SELECT avatar_id FROM users WHERE id = $2 AND avatar_id IS NOT NULL AND ($3 OR profile_visible($1, $2))`,
      [viewerId, ownerId, admin],
    );
    return row?.avatar_id ?? null;
  }

  /**
   * Who sees the user's profile and is told when it changes: everyone `profile_visible` lets see it among
   * the user's friends, request partners and conversation peers. Reads the friends' and conversations'
   * tables to stay one query, as the rule itself does.
   */
  async profileAudience(userId: string, tx?: Tx): Promise<string[]> {
    const rows: { id: string }[] = await managerFor(this.dataSource, tx).query(
      `SELECT other AS id FROM (
         SELECT friend_id AS other FROM friendships WHERE user_id = $1
         UNION SELECT to_user_id FROM friend_requests WHERE from_user_id = $1
         UNION SELECT from_user_id FROM friend_requests WHERE to_user_id = $1
         UNION SELECT CASE WHEN user_a_id = $1 THEN user_b_id ELSE user_a_id END FROM conversations WHERE user_a_id = $1 OR user_b_id = $1
       ) contacts
       WHERE other IS NOT NULL AND profile_visible(other, $1)`,
      [userId],
    );
    return rows.map((row) => row.id);
  }

  /** Sets the hash and bumps the token version, which ends every access token issued before. */
  async setPassword(tx: Tx, id: string, passwordHash: string): Promise<void> {
    await managerOf(tx).update(User, { id }, { passwordHash, tokenVersion: () => '"token_version" + 1' });
  }

  /** See UsersService.search; `prefix` is the LIKE pattern of the query. */
  search(callerId: string, query: string, prefix: string, after: { r: number; s: string; u: string } | null, limit: number): Promise<SearchRow[]> {
    return this.dataSource.query(
      `SELECT id, username, display_name, CASE WHEN avatar_id IS NOT NULL AND profile_visible($1, id) THEN avatar_id END AS avatar_id, rank, score FROM (
         SELECT u.id, u.username::text AS username, u.display_name, u.avatar_id,
           CASE WHEN u.username::text = $2 THEN 0
                WHEN u.username::text LIKE $3 THEN 1
                WHEN lower(u.display_name) LIKE $3 THEN 2
                ELSE 3 END AS rank,
           round(greatest(similarity(u.username::text, $2), similarity(lower(u.display_name), $2))::numeric, 4) AS score
         FROM users u
         WHERE u.id <> $1
           AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = $1)
           AND (u.username::text LIKE $3 OR lower(u.display_name) LIKE $3
                OR u.username::text % $2 OR lower(u.display_name) % $2)
       ) matches
       WHERE $4::int IS NULL
          OR rank > $4 OR (rank = $4 AND (score < $5::numeric OR (score = $5::numeric AND username > $6)))
       ORDER BY rank, score DESC, username
       LIMIT $7`,
      [callerId, query, prefix, after?.r ?? null, after?.s ?? null, after?.u ?? null, limit],
    );
  }

  /**
   * Every account for the admin list, newest first, with what it holds. Reads the messages,
   * attachments and sessions tables itself so that a page stays one query.
   */
  adminList(pattern: string | null, after: { t: string; id: string } | null, limit: number): Promise<AdminUserRow[]> {
    return this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, u.avatar_id, u.status_message, u.role, u.created_at,
              (SELECT count(*) FROM messages m WHERE m.sender_id = u.id) AS message_count,
              (SELECT coalesce(sum(a.size), 0) FROM attachments a WHERE a.uploader_id = u.id) AS attachment_bytes,
              (SELECT max(s.last_used_at) FROM sessions s WHERE s.user_id = u.id) AS last_seen_at
         FROM users u
        WHERE ($1::text IS NULL OR u.username::text ILIKE $1 OR u.display_name ILIKE $1)
          AND ($2::timestamptz IS NULL OR (u.created_at, u.id) < ($2::timestamptz, $3::uuid))
        ORDER BY u.created_at DESC, u.id DESC
        LIMIT $4`,
      [pattern, after?.t ?? null, after?.id ?? null, limit],
    );
  }

  /**
   * Locks the user's row, and every admin row too when the user is an admin (so two admins erasing
   * each other at once cannot leave no admin), in id order; answers the rows locked.
   */
  lockForErasure(tx: Tx, userId: string): Promise<{ id: string; role: Role }[]> {
    return managerOf(tx).query(
      `SELECT id, role FROM users
        WHERE id = $1 OR (role = 'admin' AND EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'admin'))
        ORDER BY id FOR UPDATE`,
      [userId],
    );
  }

  async delete(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).query(`DELETE FROM users WHERE id = $1`, [userId]);
  }
}
