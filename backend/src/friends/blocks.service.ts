import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { toUserSummaryDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { Block } from './block.entity.js';
import { BlockPageDto } from './dto/friend.dto.js';
import { FriendsService, lockPair } from './friends.service.js';

interface BlockRow {
  id: string;
  username: string;
  display_name: string;
  created_at: Date;
}

@Injectable()
export class BlocksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly friendsService: FriendsService,
    private readonly usersService: UsersService,
    private readonly clock: Clock,
  ) {}

  async list(userId: string, limit: number, cursor?: string): Promise<BlockPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const rows: BlockRow[] = await this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, b.created_at
         FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.blocker_id = $1
          AND ($2::timestamptz IS NULL OR (b.created_at, b.blocked_id) < ($2::timestamptz, $3::uuid))
        ORDER BY b.created_at DESC, b.blocked_id DESC
        LIMIT $4`,
      [userId, after?.t ?? null, after?.id ?? null, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (row) => ({ user: toUserSummaryDto({ id: row.id, username: row.username, displayName: row.display_name }), blockedAt: row.created_at }),
      (row) => ({ t: row.created_at.toISOString(), id: row.id }),
    );
  }

  /** Blocks a user: ends the friendship and pending requests; their conversation becomes read-only. Idempotent. */
  async block(userId: string, targetId: string): Promise<void> {
    if (userId === targetId) throw new BadRequestException({ code: 'CANNOT_BLOCK_SELF', message: 'You cannot block yourself' });
    // Not getVisibleById: someone you blocked may block you back, so your unblocking alone does not reopen contact.
    await this.usersService.getById(targetId);
    await this.dataSource.transaction(async (manager) => {
      await lockPair(manager, userId, targetId);
      await manager.createQueryBuilder().insert().into(Block).values({ blockerId: userId, blockedId: targetId, createdAt: this.clock.now() }).orIgnore().execute();
      await this.friendsService.removeFriendship(manager, userId, targetId);
    });
  }

  /** Idempotent: unblocking someone not blocked changes nothing. Friendship is not restored. */
  async unblock(userId: string, targetId: string): Promise<void> {
    await this.dataSource.getRepository(Block).delete({ blockerId: userId, blockedId: targetId });
  }
}
