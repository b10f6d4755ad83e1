import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { Transactions } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { toUserSummaryDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { BlockPageDto } from './dto/friend.dto.js';
import { cannotBlockSelf } from './errors.js';
import { FriendsRepository } from './friends.repository.js';

@Injectable()
export class BlocksService {
  constructor(
    private readonly friends: FriendsRepository,
    private readonly transactions: Transactions,
    private readonly usersService: UsersService,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
  ) {}

  async list(userId: string, limit: number, cursor?: string): Promise<BlockPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const rows = await this.friends.listBlocks(userId, after, limit + 1);
    return toPage(
      rows,
      limit,
      (row) => ({ user: toUserSummaryDto({ id: row.id, username: row.username, displayName: row.display_name }), blockedAt: row.created_at }),
      (row) => ({ t: row.created_at.toISOString(), id: row.id }),
    );
  }

  /** Blocks a user: ends the friendship and pending requests; their conversation becomes read-only. Idempotent. */
  async block(userId: string, targetId: string): Promise<void> {
    if (userId === targetId) throw cannotBlockSelf();
    // Not getVisibleById: someone you blocked may block you back, so your unblocking alone does not reopen contact.
    await this.usersService.getById(targetId);
    const { requests, unfriended } = await this.transactions.run(async (tx) => {
      await this.friends.lockPair(tx, userId, targetId);
      const requests = (
        await Promise.all([
          this.friends.findRequest({ fromUserId: userId, toUserId: targetId }, tx),
          this.friends.findRequest({ fromUserId: targetId, toUserId: userId }, tx),
        ])
      ).filter((request) => request !== null);
      await this.friends.addBlock(tx, userId, targetId, this.clock.now());
      return { requests, unfriended: (await this.friends.removeFriendship(tx, userId, targetId)) > 0 };
    });
    // The blocked person sees what an unfriend or a declined request shows, never a block.
    if (unfriended) this.realtime.friendRemoved(userId, targetId);
    for (const request of requests) this.realtime.friendRequestRemoved(request.id, request.fromUserId, request.toUserId);
    this.realtime.blockChanged(userId, { userId: targetId, blocked: true });
  }

  /** Idempotent: unblocking someone not blocked changes nothing. Friendship is not restored. */
  async unblock(userId: string, targetId: string): Promise<void> {
    await this.friends.deleteBlock(userId, targetId);
    this.realtime.blockChanged(userId, { userId: targetId, blocked: false });
  }
}
