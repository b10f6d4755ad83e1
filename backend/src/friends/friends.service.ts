import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { toUserSummaryDto, type UserSummaryDto } from '../users/dto/user.dto.js';
import { userNotFound } from '../users/errors.js';
import { UsersService } from '../users/users.service.js';
import { FriendDto, FriendPageDto, FriendRequestDto, FriendRequestPageDto, FriendRequestResultDto } from './dto/friend.dto.js';
import { alreadyFriends, cannotFriendSelf, friendRequestNotFound, notFriendsWith, requestAlreadySent, userBlocked } from './errors.js';
import { type FriendRow, FriendsRepository, type RequestRow, type UserSinceRow, type WriteRefusal } from './friends.repository.js';

export type { WriteRefusal } from './friends.repository.js';

export interface Relationship {
  friends: boolean;
  blockedByMe: boolean;
  blockedMe: boolean;
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

/** A user's part of friends.json in an export. */
export interface FriendsExport {
  friends: { user: UserSummaryDto; since: Date }[];
  friendRequests: { incoming: FriendRequestDto[]; outgoing: FriendRequestDto[] };
  blocks: { user: UserSummaryDto; since: Date }[];
}

@Injectable()
export class FriendsService {
  constructor(
    private readonly friends: FriendsRepository,
    private readonly transactions: Transactions,
    private readonly usersService: UsersService,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
  ) {}

  /** Pass the transaction when inside one (PGlite has a single connection). */
  async relationship(userId: string, otherId: string, tx?: Tx): Promise<Relationship> {
    const row = await this.friends.relationship(userId, otherId, tx);
    return { friends: row.friends, blockedByMe: row.blocked_by_me, blockedMe: row.blocked_me };
  }

  /**
   * Why `userId` may not write to `peerId` (erased, a block either way, not friends), or null. Takes
   * the pair lock that blocking and unfriending take, so call it inside the writing transaction.
   */
  writeRefusal(tx: Tx, userId: string, peerId: string | null): Promise<WriteRefusal | null> {
    return this.friends.writeRefusal(tx, userId, peerId);
  }

  /** Who may see `userId`'s presence: their friends, never across a block in either direction. */
  presenceAudience(userId: string): Promise<string[]> {
    return this.friends.presenceAudience(userId);
  }

  async listFriends(userId: string, limit: number, cursor?: string): Promise<FriendPageDto> {
    const after = cursor ? decodeCursor<{ u: string }>(cursor, { u: 'text' }).u : null;
    const rows = await this.friends.listFriends(userId, after, limit + 1);
    return toPage(rows, limit, toFriendDto, (row) => ({ u: row.username }));
  }

  async unfriend(userId: string, friendId: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      // Under the pair lock that a send holds until it commits, so no message lands after the unfriend.
      await this.friends.lockPair(tx, userId, friendId);
      // Thrown inside the transaction, so a pending request is not deleted for a 404.
      if ((await this.friends.removeFriendship(tx, userId, friendId)) === 0) throw notFriendsWith();
    });
    this.realtime.friendRemoved(userId, friendId);
  }

  async listRequests(userId: string, direction: 'incoming' | 'outgoing', limit: number, cursor?: string): Promise<FriendRequestPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const rows = await this.friends.listRequests(userId, direction, after, limit + 1);
    return toPage(rows, limit, toFriendRequestDto, (row) => ({ t: row.created_at.toISOString(), id: row.id }));
  }

  /** Whether `fromUserId` has a request pending to `toUserId`. */
  async hasPendingRequest(fromUserId: string, toUserId: string): Promise<boolean> {
    return (await this.friends.findRequest({ fromUserId, toUserId })) !== null;
  }

  /** Sends a friend request, or accepts theirs when they already asked. */
  async sendRequest(userId: string, targetId: string): Promise<FriendRequestResultDto> {
    if (userId === targetId) throw cannotFriendSelf();
    await this.usersService.getById(targetId);
    const { result, friendship } = await this.transactions.run(async (tx): Promise<RequestOutcome> => {
      // Checked under the pair lock, so a block committed a moment ago cannot be slipped past.
      await this.friends.lockPair(tx, userId, targetId);
      const relationship = await this.relationship(userId, targetId, tx);
      if (relationship.blockedMe) throw userNotFound();
      if (relationship.blockedByMe) throw userBlocked();
      if (relationship.friends) throw alreadyFriends();
      const theirs = await this.friends.findRequest({ fromUserId: targetId, toUserId: userId }, tx);
      if (theirs) {
        await this.friends.deleteRequest({ id: theirs.id }, tx);
        const friendship = await this.addFriendship(tx, userId, targetId);
        return { result: { status: 'accepted', request: null, friend: friendship.friend }, friendship };
      }
      if (await this.friends.findRequest({ fromUserId: userId, toUserId: targetId }, tx)) throw requestAlreadySent();
      const requestId = await this.friends.addRequest(tx, userId, targetId, this.clock.now());
      return {
        result: { status: 'pending', request: toFriendRequestDto(await this.friends.getRequest(tx, requestId)), friend: null },
        friendship: null,
      };
    });
    if (friendship) await this.realtime.friendAccepted(friendship.friend, friendship.reverse);
    else if (result.request) this.realtime.friendRequest(result.request);
    return result;
  }

  async accept(userId: string, requestId: string): Promise<FriendDto> {
    const friendship = await this.transactions.run(async (tx) => {
      const request = await this.friends.findRequest({ id: requestId, toUserId: userId }, tx);
      if (!request) throw friendRequestNotFound();
      await this.friends.lockPair(tx, userId, request.fromUserId);
      if ((await this.friends.deleteRequest({ id: request.id }, tx)) === 0) throw friendRequestNotFound();
      const relationship = await this.relationship(userId, request.fromUserId, tx);
      if (relationship.blockedByMe || relationship.blockedMe) throw friendRequestNotFound();
      return this.addFriendship(tx, userId, request.fromUserId);
    });
    await this.realtime.friendAccepted(friendship.friend, friendship.reverse);
    return friendship.friend;
  }

  /** Declines a request to the user; its sender's open screens drop it. */
  async decline(userId: string, requestId: string): Promise<void> {
    await this.removeRequest({ id: requestId, toUserId: userId });
  }

  /** Withdraws the user's own request; the recipient's open screens drop it. */
  async cancel(userId: string, requestId: string): Promise<void> {
    await this.removeRequest({ id: requestId, fromUserId: userId });
  }

  private async removeRequest(where: { id: string; fromUserId: string } | { id: string; toUserId: string }): Promise<void> {
    const request = await this.friends.findRequest(where);
    if (!request || (await this.friends.deleteRequest({ id: request.id })) === 0) throw friendRequestNotFound();
    this.realtime.friendRequestRemoved(request.id, request.fromUserId, request.toUserId);
  }

  /** For an erasure, inside its transaction: how many of these rows the user has. */
  erasureCounts(tx: Tx, userId: string): Promise<{ friendships: number; friendRequests: number; blocks: number }> {
    return this.friends.countOfUser(tx, userId);
  }

  /** For an erasure, inside its transaction: who will see the user go offline. */
  friendIds(tx: Tx, userId: string): Promise<string[]> {
    return this.friends.friendIds(tx, userId);
  }

  /** Friends, pending requests both ways, and the blocks the user made (not who blocked them: that is the other person's). */
  async exportOf(userId: string): Promise<FriendsExport> {
    const friends = await this.friends.exportFriends(userId);
    const requests = await this.friends.exportRequests(userId);
    const blocks = await this.friends.exportBlocks(userId);
    const withSince = (row: UserSinceRow) => ({ user: toSummary(row.id, row.username, row.display_name), since: row.created_at });
    return {
      friends: friends.map(withSince),
      friendRequests: {
        incoming: requests.filter((row) => row.from_id !== userId).map(toFriendRequestDto),
        outgoing: requests.filter((row) => row.from_id === userId).map(toFriendRequestDto),
      },
      blocks: blocks.map(withSince),
    };
  }

  private async addFriendship(tx: Tx, userId: string, friendId: string): Promise<NewFriendship> {
    await this.friends.addFriendship(tx, userId, friendId, this.clock.now());
    return {
      friend: toFriendDto(await this.friends.getFriend(tx, userId, friendId)),
      reverse: toFriendDto(await this.friends.getFriend(tx, friendId, userId)),
    };
  }
}

const toSummary = (id: string, username: string, displayName: string, avatarId: string | null = null) =>
  toUserSummaryDto({ id, username, displayName, avatarId });

function toFriendDto(row: FriendRow): FriendDto {
  return { ...toSummary(row.id, row.username, row.display_name, row.avatar_id), statusMessage: row.status_message, friendsSince: row.created_at };
}

function toFriendRequestDto(row: RequestRow): FriendRequestDto {
  return {
    id: row.id,
    from: toSummary(row.from_id, row.from_username, row.from_display_name, row.from_avatar_id),
    to: toSummary(row.to_id, row.to_username, row.to_display_name, row.to_avatar_id),
    createdAt: row.created_at,
  };
}
