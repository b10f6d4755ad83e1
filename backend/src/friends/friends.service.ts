import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { toUserSummaryDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { FriendDto, FriendPageDto, FriendRequestDto, FriendRequestPageDto, FriendRequestResultDto } from './dto/friend.dto.js';
import { FriendRequest } from './friend-request.entity.js';
import { Friendship } from './friendship.entity.js';

export interface Relationship {
  friends: boolean;
  blockedByMe: boolean;
  blockedMe: boolean;
}

interface FriendRow {
  id: string;
  username: string;
  display_name: string;
  status_message: string;
  created_at: Date;
}

/** A new friendship as each side sees it: `friend` is the other user for the caller, `reverse` the caller for them. */
interface NewFriendship {
  friend: FriendDto;
  reverse: FriendDto;
}

interface RequestOutcome {
  result: FriendRequestResultDto;
  /** Set when the request accepted theirs. */
  friendship: NewFriendship | null;
}

interface RequestRow {
  id: string;
  created_at: Date;
  from_id: string;
  from_username: string;
  from_display_name: string;
  to_id: string;
  to_username: string;
  to_display_name: string;
}

const REQUEST_SELECT = `
  SELECT r.id, r.created_at,
         f.id AS from_id, f.username::text AS from_username, f.display_name AS from_display_name,
         t.id AS to_id, t.username::text AS to_username, t.display_name AS to_display_name
    FROM friend_requests r
    JOIN users f ON f.id = r.from_user_id
    JOIN users t ON t.id = r.to_user_id`;

const notFound = () => new NotFoundException({ code: 'FRIEND_REQUEST_NOT_FOUND', message: 'Friend request not found' });

@Injectable()
export class FriendsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly usersService: UsersService,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
  ) {}

  /** Pass the transaction's manager when inside one (PGlite has a single connection). */
  async relationship(userId: string, otherId: string, manager: EntityManager = this.dataSource.manager): Promise<Relationship> {
    const [row]: { friends: boolean; blocked_by_me: boolean; blocked_me: boolean }[] = await manager.query(
      `SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2) AS friends,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2) AS blocked_by_me,
              EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $2 AND blocked_id = $1) AS blocked_me`,
      [userId, otherId],
    );
    return { friends: row.friends, blockedByMe: row.blocked_by_me, blockedMe: row.blocked_me };
  }

  /** Who may see `userId`'s presence: their friends, never across a block in either direction. */
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

  async listFriends(userId: string, limit: number, cursor?: string): Promise<FriendPageDto> {
    const after = cursor ? decodeCursor<{ u: string }>(cursor, { u: 'text' }).u : null;
    const rows: FriendRow[] = await this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, u.status_message, f.created_at
         FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = $1 AND ($2::text IS NULL OR u.username::text > $2)
        ORDER BY u.username::text
        LIMIT $3`,
      [userId, after, limit + 1],
    );
    return toPage(rows, limit, toFriendDto, (row) => ({ u: row.username }));
  }

  async unfriend(userId: string, friendId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Thrown inside the transaction, so a pending request is not deleted for a 404.
      if ((await this.removeFriendship(manager, userId, friendId)) === 0) {
        throw new NotFoundException({ code: 'NOT_FRIENDS', message: 'You are not friends with this user' });
      }
    });
  }

  async listRequests(userId: string, direction: 'incoming' | 'outgoing', limit: number, cursor?: string): Promise<FriendRequestPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const rows: RequestRow[] = await this.dataSource.query(
      `${REQUEST_SELECT}
        WHERE ${direction === 'incoming' ? 'r.to_user_id' : 'r.from_user_id'} = $1
          AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT $4`,
      [userId, after?.t ?? null, after?.id ?? null, limit + 1],
    );
    return toPage(rows, limit, toFriendRequestDto, (row) => ({ t: row.created_at.toISOString(), id: row.id }));
  }

  /** Sends a friend request, or accepts theirs when they already asked. */
  async sendRequest(userId: string, targetId: string): Promise<FriendRequestResultDto> {
    if (userId === targetId) {
      throw new BadRequestException({ code: 'CANNOT_FRIEND_SELF', message: 'You cannot send a friend request to yourself' });
    }
    await this.usersService.getById(targetId);
    const { result, friendship } = await this.dataSource.transaction(async (manager): Promise<RequestOutcome> => {
      // Checked under the pair lock, so a block committed a moment ago cannot be slipped past.
      await lockPair(manager, userId, targetId);
      const relationship = await this.relationship(userId, targetId, manager);
      if (relationship.blockedMe) throw new NotFoundException({ code: 'USER_NOT_FOUND', message: 'User not found' });
      if (relationship.blockedByMe) {
        throw new ForbiddenException({ code: 'USER_BLOCKED', message: 'You blocked this user; unblock them first' });
      }
      if (relationship.friends) throw new ConflictException({ code: 'ALREADY_FRIENDS', message: 'You are already friends' });
      const theirs = await manager.findOneBy(FriendRequest, { fromUserId: targetId, toUserId: userId });
      if (theirs) {
        await manager.delete(FriendRequest, { id: theirs.id });
        const friendship = await this.addFriendship(manager, userId, targetId);
        return { result: { status: 'accepted', request: null, friend: friendship.friend }, friendship };
      }
      const existing = await manager.findOneBy(FriendRequest, { fromUserId: userId, toUserId: targetId });
      if (existing) throw new ConflictException({ code: 'REQUEST_ALREADY_SENT', message: 'You already sent this user a request' });
      const request = await manager.save(manager.create(FriendRequest, { fromUserId: userId, toUserId: targetId, createdAt: this.clock.now() }));
      return {
        result: { status: 'pending', request: await this.getRequestDto(manager, request.id), friend: null },
        friendship: null,
      };
    });
    if (friendship) await this.realtime.friendAccepted(friendship.friend, friendship.reverse);
    else if (result.request) this.realtime.friendRequest(result.request);
    return result;
  }

  async accept(userId: string, requestId: string): Promise<FriendDto> {
    const friendship = await this.dataSource.transaction(async (manager) => {
      const request = await manager.findOneBy(FriendRequest, { id: requestId, toUserId: userId });
      if (!request) throw notFound();
      await lockPair(manager, userId, request.fromUserId);
      const deleted = await manager.delete(FriendRequest, { id: request.id });
      if (!deleted.affected) throw notFound();
      const relationship = await this.relationship(userId, request.fromUserId, manager);
      if (relationship.blockedByMe || relationship.blockedMe) throw notFound();
      return this.addFriendship(manager, userId, request.fromUserId);
    });
    await this.realtime.friendAccepted(friendship.friend, friendship.reverse);
    return friendship.friend;
  }

  async decline(userId: string, requestId: string): Promise<void> {
    const deleted = await this.dataSource.getRepository(FriendRequest).delete({ id: requestId, toUserId: userId });
    if (!deleted.affected) throw notFound();
  }

  async cancel(userId: string, requestId: string): Promise<void> {
    const deleted = await this.dataSource.getRepository(FriendRequest).delete({ id: requestId, fromUserId: userId });
    if (!deleted.affected) throw notFound();
  }

  /** Ends the friendship and any pending requests of the pair, inside the caller's transaction. */
  async removeFriendship(manager: EntityManager, userId: string, otherId: string): Promise<number> {
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

  private async addFriendship(manager: EntityManager, userId: string, friendId: string): Promise<NewFriendship> {
    const now = this.clock.now();
    await manager
      .createQueryBuilder()
      .insert()
      .into(Friendship)
      .values([
        { userId, friendId, createdAt: now },
        { userId: friendId, friendId: userId, createdAt: now },
      ])
      .orIgnore()
      .execute();
    return { friend: await this.getFriendDto(manager, userId, friendId), reverse: await this.getFriendDto(manager, friendId, userId) };
  }

  private async getFriendDto(manager: EntityManager, userId: string, friendId: string): Promise<FriendDto> {
    const [row]: FriendRow[] = await manager.query(
      `SELECT u.id, u.username::text AS username, u.display_name, u.status_message, f.created_at
         FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = $1 AND f.friend_id = $2`,
      [userId, friendId],
    );
    return toFriendDto(row);
  }

  private async getRequestDto(manager: EntityManager, requestId: string): Promise<FriendRequestDto> {
    const [row]: RequestRow[] = await manager.query(
      `${REQUEST_SELECT} WHERE r.id = $1`,
      [requestId],
    );
    return toFriendRequestDto(row);
  }
}

/** Serialises friend operations on one pair of users, whichever of the two starts them. */
export async function lockPair(manager: EntityManager, userId: string, otherId: string): Promise<void> {
  const key = [userId, otherId].sort().join(':');
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [key]);
}

function toFriendDto(row: FriendRow): FriendDto {
  return {
    ...toUserSummaryDto({ id: row.id, username: row.username, displayName: row.display_name }),
    statusMessage: row.status_message,
    friendsSince: row.created_at,
  };
}

function toFriendRequestDto(row: RequestRow): FriendRequestDto {
  return {
    id: row.id,
    from: toUserSummaryDto({ id: row.from_id, username: row.from_username, displayName: row.from_display_name }),
    to: toUserSummaryDto({ id: row.to_id, username: row.to_username, displayName: row.to_display_name }),
    createdAt: row.created_at,
  };
}
