import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerFor, managerOf, type Tx } from '../database/transaction.js';
import { Block } from './block.entity.js';
import { FriendRequest } from './friend-request.entity.js';
import { Friendship } from './friendship.entity.js';

export interface RelationshipRow {
  friends: boolean;
  blocked_by_me: boolean;
  blocked_me: boolean;
}

export interface FriendRow {
  id: string;
  username: string;
  display_name: string;
  avatar_id: string | null;
  status_message: string;
  created_at: Date;
}

export interface RequestRow {
  id: string;
  created_at: Date;
  from_id: string;
  from_username: string;
  from_display_name: string;
  from_avatar_id: string | null;
  to_id: string;
  to_username: string;
  to_display_name: string;
  to_avatar_id: string | null;
}

/** A user next to the time a friendship or block with them began. */
export interface UserSinceRow {
  id: string;
  username: string;
  display_name: string;
  created_at: Date;
}

/** What refuses a write to a peer (database/schema/messaging-functions.ts `write_refusal`). */
export type WriteRefusal = 'PEER_GONE' | 'BLOCKED' | 'NOT_FRIENDS';

const REQUEST_SELECT = `
  SELECT r.id, r.created_at,
         f.id AS from_id, f.username::text AS from_username, f.display_name AS from_display_name, f.avatar_id AS from_avatar_id,
         t.id AS to_id, t.username::text AS to_username, t.display_name AS to_display_name, t.avatar_id AS to_avatar_id
    FROM friend_requests r
    JOIN users f ON f.id = r.from_user_id
    JOIN users t ON t.id = r.to_user_id`;

const FRIEND_SELECT = `
  SELECT u.id, u.username::text AS username, u.display_name, u.avatar_id, u.status_message, f.created_at
    FROM friendships f JOIN users u ON u.id = f.friend_id`;

/** Friendships, friend requests and blocks. */
@Injectable()
export class FriendsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async lockPair(tx: Tx, userId: string, otherId: string): Promise<void> {
    await managerOf(tx).query(`SELECT lock_pair($1, $2)`, [userId, otherId]);
  }

  async writeRefusal(tx: Tx, userId: string, peerId: string | null): Promise<WriteRefusal | null> {
    const [row]: { refusal: WriteRefusal | null }[] = await managerOf(tx).query(`SELECT write_refusal($1, $2) AS refusal`, [userId, peerId]);
    return row.refusal;
  }

  async relationship(userId: string, otherId: string, tx?: Tx): Promise<RelationshipRow> {
    const [row]: RelationshipRow[] = await managerFor(this.dataSource, tx).query(
      `SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2) AS friends,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2) AS blocked_by_me,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $2 AND blocked_id = $1) AS blocked_me`,
      [userId, otherId],
    );
    return row;
  }

  async presenceAudience(userId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT f.friend_id AS id FROM friendships f
        WHERE f.user_id = $1
          AND NOT EXISTS (SELECT 1 FROM blocks b
                           WHERE (b.blocker_id = $1 AND b.blocked_id = f.friend_id) OR (b.blocker_id = f.friend_id AND b.blocked_id = $1))`,
      [userId],
    );
    return rows.map((row) => row.id);
  }

  /** Friends by username, after `after`. */
  listFriends(userId: string, after: string | null, limit: number): Promise<FriendRow[]> {
    return this.dataSource.query(
      `${FRIEND_SELECT}
        WHERE f.user_id = $1 AND ($2::text IS NULL OR u.username::text > $2)
        ORDER BY u.username::text
        LIMIT $3`,
      [userId, after, limit],
    );
  }

  async getFriend(tx: Tx, userId: string, friendId: string): Promise<FriendRow> {
    const [row]: FriendRow[] = await managerOf(tx).query(`${FRIEND_SELECT} WHERE f.user_id = $1 AND f.friend_id = $2`, [userId, friendId]);
    return row;
  }

  /** Newest first, before the (created_at, id) cursor. */
  listRequests(userId: string, direction: 'incoming' | 'outgoing', after: { t: string; id: string } | null, limit: number): Promise<RequestRow[]> {
    return this.dataSource.query(
      `${REQUEST_SELECT}
        WHERE ${direction === 'incoming' ? 'r.to_user_id' : 'r.from_user_id'} = $1
          AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT $4`,
      [userId, after?.t ?? null, after?.id ?? null, limit],
    );
  }

  async getRequest(tx: Tx, requestId: string): Promise<RequestRow> {
    const [row]: RequestRow[] = await managerOf(tx).query(`${REQUEST_SELECT} WHERE r.id = $1`, [requestId]);
    return row;
  }

  findRequest(where: { id?: string; fromUserId?: string; toUserId?: string }, tx?: Tx): Promise<FriendRequest | null> {
    return managerFor(this.dataSource, tx).findOneBy(FriendRequest, where);
  }

  async addRequest(tx: Tx, fromUserId: string, toUserId: string, createdAt: Date): Promise<string> {
    const manager = managerOf(tx);
    return (await manager.save(manager.create(FriendRequest, { fromUserId, toUserId, createdAt }))).id;
  }

  /** How many requests matching `where` were deleted (0 or 1). */
  async deleteRequest(where: { id: string; fromUserId?: string; toUserId?: string }, tx?: Tx): Promise<number> {
    return (await managerFor(this.dataSource, tx).delete(FriendRequest, where)).affected ?? 0;
  }

  /** Ends the friendship and any pending requests of the pair; answers how many friendship rows went. */
  async removeFriendship(tx: Tx, userId: string, otherId: string): Promise<number> {
    const manager = managerOf(tx);
    await manager.delete(FriendRequest, [
      { fromUserId: userId, toUserId: otherId },
      { fromUserId: otherId, toUserId: userId },
    ]);
    const removed = await manager.delete(Friendship, [
      { userId, friendId: otherId },
      { userId: otherId, friendId: userId },
    ]);
    return removed.affected ?? 0;
  }

  async addFriendship(tx: Tx, userId: string, friendId: string, createdAt: Date): Promise<void> {
    await managerOf(tx)
      .createQueryBuilder()
      .insert()
      .into(Friendship)
      .values([
        { userId, friendId, createdAt },
        { userId: friendId, friendId: userId, createdAt },
      ])
      .orIgnore()
      .execute();
  }

  /** The users `userId` blocked, newest first, before the (created_at, blocked id) cursor. */
  listBlocks(userId: string, after: { t: string; id: string } | null, limit: number): Promise<UserSinceRow[]> {
    return this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, b.created_at
         FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.blocker_id = $1
          AND ($2::timestamptz IS NULL OR (b.created_at, b.blocked_id) < ($2::timestamptz, $3::uuid))
        ORDER BY b.created_at DESC, b.blocked_id DESC
        LIMIT $4`,
      [userId, after?.t ?? null, after?.id ?? null, limit],
    );
  }

  async addBlock(tx: Tx, blockerId: string, blockedId: string, createdAt: Date): Promise<void> {
    await managerOf(tx).createQueryBuilder().insert().into(Block).values({ blockerId, blockedId, createdAt }).orIgnore().execute();
  }

  async deleteBlock(blockerId: string, blockedId: string): Promise<void> {
    await this.dataSource.getRepository(Block).delete({ blockerId, blockedId });
  }

  async friendIds(tx: Tx, userId: string): Promise<string[]> {
    const rows: { friend_id: string }[] = await managerOf(tx).query(`SELECT friend_id FROM friendships WHERE user_id = $1`, [userId]);
    return rows.map((row) => row.friend_id);
  }

  async countOfUser(tx: Tx, userId: string): Promise<{ friendships: number; friendRequests: number; blocks: number }> {
    const [row]: { friendships: string; friend_requests: string; blocks: string }[] = await managerOf(tx).query(
      `SELECT (SELECT count(*) FROM friendships WHERE user_id = $1) AS friendships,
              (SELECT count(*) FROM friend_requests WHERE from_user_id = $1 OR to_user_id = $1) AS friend_requests,
              (SELECT count(*) FROM blocks WHERE blocker_id = $1 OR blocked_id = $1) AS blocks`,
      [userId],
    );
    return { friendships: Number(row.friendships), friendRequests: Number(row.friend_requests), blocks: Number(row.blocks) };
  }

  /** Every friend of `userId` with the date, oldest first. */
  exportFriends(userId: string): Promise<UserSinceRow[]> {
    return this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, f.created_at
         FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = $1 ORDER BY f.created_at, u.id`,
      [userId],
    );
  }

  /** Every pending request from or to `userId`, oldest first. */
  exportRequests(userId: string): Promise<RequestRow[]> {
    return this.dataSource.query(`${REQUEST_SELECT} WHERE r.from_user_id = $1 OR r.to_user_id = $1 ORDER BY r.created_at, r.id`, [userId]);
  }

  /** Every block `userId` made, oldest first. */
  exportBlocks(userId: string): Promise<UserSinceRow[]> {
    return this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, b.created_at
         FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.blocker_id = $1 ORDER BY b.created_at, u.id`,
      [userId],
    );
  }
}
